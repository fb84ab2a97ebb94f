/**
 * The public options: their type, the one list of their names (checked against that type by the
 * compiler), and every check of their values. resolveOptions validates, defaults and freezes them
 * once per store; what needs the database (a model's columns, an adopted table) is checked by model.ts and adopt.ts.
 */
import type { SessionData } from 'express-session';
import { ConfigurationError, describe, invalidOption } from './errors.js';
import { PRESET_NAMES, PRESETS, type PresetName } from './presets.js';
import type { ModelLike, SequelizeLike } from './sequelize-compat.js';

/** How a session becomes the text of a TEXT or STRING `sess` column, and back. */
export interface Serializer {
  stringify(value: unknown): string;
  parse(text: string): unknown;
}

/** Values for columns other than sid/sess/expire, by attribute name. */
export type ExtraValues = Record<string, unknown>;

/**
 * The members of a Sequelize v6 or v7 model class that a caller of `store.model` uses, typed loosely
 * so that neither major's package has to be imported (a project may have only one of them).
 */
export interface SessionModelStatic extends ModelLike {
  findAll(options?: any): Promise<any[]>;
  findOne(options?: any): Promise<any>;
  findByPk(key: unknown, options?: any): Promise<any>;
  count(options?: any): Promise<number>;
  create(values?: any, options?: any): Promise<any>;
  bulkCreate(records: readonly any[], options?: any): Promise<any[]>;
  update(values: any, options: any): Promise<any>;
  destroy(options?: any): Promise<number>;
}

/** Options of {@link SequelizeSessionStore} other than the instance. `M` is the type of `model`. */
export interface SessionStoreLayoutOptions<M extends ModelLike = SessionModelStatic> {
  /**
   * A model holding the sessions, with the attributes `sid` (string, primary key), `sess` (JSON, JSONB,
   * TEXT or STRING) and `expire` (DATE); other attributes are allowed. `store.model` has its type.
   * @default a model created on the table `tableName`, exposed as `store.model`
   */
  model?: M;
  /**
   * The table of another session store, by that store's package name: its table and column names.
   * `tableName` and `columns` given beside it override the preset's.
   * @example new SequelizeSessionStore({ sequelize, preset: 'connect-pg-simple' })
   */
  preset?: PresetName;
  /**
   * The table of the created model. When it exists and no `model` is given, the store reads its
   * columns once, before the first operation, and adapts to them (JSON or text `sess`, `expire` as a
   * timestamp or as seconds since the epoch, Sequelize timestamps filled).
   * @default 'express_session'
   */
  tableName?: string;
  /**
   * Column (attribute) names for sid, sess and expire, to adopt an existing table without a migration.
   * @example { sid: 'sid', sess: 'data', expire: 'expires' } // connect-session-sequelize's Sessions table
   */
  columns?: { sid?: string; sess?: string; expire?: string };
  /**
   * Values for other columns, written on every `set`: mutate `data`, or return an object.
   * @example (data, session) => { data.userId = session.userId ?? null; }
   */
  extras?: (data: ExtraValues, session: SessionData, sid: string) => void | ExtraValues;
  expiration?: {
    /**
     * How often expired sessions are pruned, in ms; `false` or `0` disables the timer.
     * @default 900_000 (15 minutes)
     */
    interval?: number | false;
    /**
     * Lifetime in ms of a session whose cookie has no `expires`.
     * @default 86_400_000 (1 day)
     */
    life?: number;
    /**
     * Upper bound in ms on a session's total age, however active it is.
     * @default undefined (no bound)
     */
    absolute?: number;
  };
  /**
   * `touch` writes nothing.
   * @default false
   */
  disableTouch?: boolean;
  /**
   * A `touch` that would move the expiry by less than this many ms writes nothing.
   * @default 0
   */
  touchAfter?: number;
  /**
   * Encoding of the `sess` column when it is TEXT or STRING.
   * @default JSON
   */
  serializer?: Serializer;
  /**
   * Create the table and the index on `expire` if missing, once, before the first operation.
   * @default true for the created model, false for a model of yours
   */
  createTable?: boolean;
  /**
   * A session whose encoded form is larger than this many bytes is refused by `set`.
   * @default 1_048_576 (1 MiB)
   */
  maxSessionBytes?: number;
  /**
   * Store the SHA-256 digest of each session id instead of the id (an HMAC-SHA-256 under `secret`
   * when given), so a leaked table yields no usable session id. `all()` is then keyed by digests.
   * @default false
   */
  hashSids?: boolean | { secret: string | Buffer };
  /**
   * Encrypt `sess` at rest with AES-256-GCM under the first key; every key listed can decrypt, so
   * keys rotate by putting the new one first. Each key is a 32-byte Buffer or 64 hex characters.
   * @example { keys: [process.env.SESSION_KEY_NEW, process.env.SESSION_KEY_OLD] }
   */
  encryption?: { keys: ReadonlyArray<string | Buffer> };
  /**
   * Every operation settles within this many ms, even when the database hangs; past it, it
   * rejects with a transient `ERR_TIMEOUT` error.
   * @default 5_000
   */
  operationTimeout?: number;
  /**
   * A `set` writes only the top-level keys this request added, changed or deleted since it read the
   * session, merged into the stored row in one statement: overlapping requests of one user keep
   * each other's changes. Whole writes where the database cannot merge (see the README).
   * @default false
   */
  merge?: boolean;
}

/** The Sequelize instance (v6 `sequelize` or v7 `@sequelize/core`): required, as `sequelize` or as `db`. */
export type SequelizeInstanceOption =
  | {
      /**
       * The Sequelize instance (v6 `sequelize` or v7 `@sequelize/core`). Required, unless given as `db`.
       * @example new SequelizeSessionStore({ sequelize: new Sequelize({ dialect: 'sqlite', storage: 'sessions.sqlite' }) })
       */
      sequelize: SequelizeLike;
      /** Alias of `sequelize`, as connect-session-sequelize named it (the same instance, if both are given). */
      db?: SequelizeLike;
    }
  | {
      sequelize?: SequelizeLike;
      /** Alias of `sequelize`, as connect-session-sequelize named it. */
      db: SequelizeLike;
    };

/** Options of {@link SequelizeSessionStore}: the instance, and the rest. `M` is the type of `model`. */
export type SequelizeSessionStoreOptions<M extends ModelLike = SessionModelStatic> = SequelizeInstanceOption &
  SessionStoreLayoutOptions<M>;

/** Options after validation and defaults; frozen, computed once per store. */
export interface ResolvedOptions {
  readonly sequelize: SequelizeLike;
  readonly model: ModelLike | undefined;
  readonly tableName: string;
  readonly columns: { readonly sid: string; readonly sess: string; readonly expire: string };
  readonly preset: PresetName | undefined;
  /**
   * Whether the options name a table that another store may share (a preset, a table name or
   * column names): a destroy then leaves a marker every peer reads as no session.
   */
  readonly shared: boolean;
  readonly extras: SessionStoreLayoutOptions['extras'];
  readonly pruneInterval: number;
  readonly life: number;
  readonly absolute: number | undefined;
  readonly disableTouch: boolean;
  readonly touchAfter: number;
  readonly serializer: Serializer;
  readonly createTable: boolean;
  readonly maxSessionBytes: number;
  /** `true` for SHA-256, the secret's bytes for HMAC-SHA-256; undefined when ids are stored as they are. */
  readonly hashSids: true | Buffer | undefined;
  /** The key ring's bytes, 32 each, the first one encrypting. */
  readonly encryption: readonly Buffer[] | undefined;
  readonly operationTimeout: number;
  readonly merge: boolean;
}

/** Every option name, checked against the options type by the compiler: a name added there must be added here. */
const KNOWN_OPTIONS = {
  sequelize: true, db: true, model: true, preset: true, tableName: true, columns: true, extras: true, expiration: true,
  disableTouch: true, touchAfter: true, serializer: true, createTable: true, maxSessionBytes: true, hashSids: true,
  encryption: true, operationTimeout: true, merge: true,
} as const satisfies Record<keyof SessionStoreLayoutOptions | keyof SequelizeInstanceOption, true>;
const KNOWN: ReadonlySet<string> = new Set(Object.keys(KNOWN_OPTIONS));

/** connect-session-sequelize's options, with what replaces them here. */
const MIGRATION_HINTS: Record<string, string> = {
  table: 'pass the model as `model`, or its table name as `tableName`',
  checkExpirationInterval: 'use `expiration.interval`',
  extendDefaultFields: 'use `extras`',
  modelKey: 'pass the model as `model`',
};

const MAX_TIMER = 2 ** 31 - 1;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isNonNegative = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

const isPositive = (value: unknown): value is number => isNonNegative(value) && value > 0;

function checkBoolean(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(path, 'a boolean', value);
  return value;
}

/**
 * Quotes, brackets, `$` and NUL are refused in names: Sequelize v6 silently strips quote characters
 * when it quotes an identifier (another table than the one named), and reads `$` as a parameter.
 */
// eslint-disable-next-line no-control-regex -- NUL is one of the refused characters
export const UNSAFE_IDENTIFIER = /["`$[\]\u0000]/;

function checkIdentifier(path: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > 128 || UNSAFE_IDENTIFIER.test(value)) {
    throw invalidOption(path, 'a name of 1 to 128 characters without quotes, brackets, $ or NUL', value);
  }
  return value;
}

/** `hashSids`: true for plain digests, the secret's bytes for keyed ones; undefined (or false) for none. */
export function checkHashSids(option: unknown): true | Buffer | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return true;
  if (!isPlainObject(option)) throw invalidOption('hashSids', 'a boolean or { secret }', option);
  const { secret } = option;
  if (!((typeof secret === 'string' && secret.length >= 16) || (Buffer.isBuffer(secret) && secret.length >= 16))) {
    throw invalidOption('hashSids.secret', 'a string or Buffer of at least 16 characters or bytes', secret, true);
  }
  return Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
}

/** `encryption`: the bytes of each key of the ring. */
function checkEncryption(option: unknown): readonly Buffer[] | undefined {
  if (option === undefined) return undefined;
  const keys = (option as { keys?: unknown } | null)?.keys;
  if (typeof option !== 'object' || option === null || !Array.isArray(keys) || keys.length === 0) {
    throw new ConfigurationError('ERR_INVALID_OPTION', 'Expected `encryption` to be { keys: [key, …] } with at least one key');
  }
  return Object.freeze(
    keys.map((value: unknown, index) => {
      if (Buffer.isBuffer(value) && value.length === 32) return value;
      if (typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
      // Never echo the value: it may be a real key with a typo.
      throw invalidOption(`encryption.keys[${index}]`, 'a 32-byte Buffer or a 64-character hex string', value, true);
    }),
  );
}

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function';

/** Throws a clear error unless `value` looks like a Sequelize v6 or v7 instance. */
function checkSequelize(value: unknown): asserts value is SequelizeLike {
  const candidate = value as Partial<Record<string, unknown>> | null | undefined;
  if (value === undefined || value === null) {
    throw new ConfigurationError('ERR_INVALID_SEQUELIZE', 'Option `sequelize` (or `db`) is required: pass your Sequelize instance');
  }
  if (
    typeof value !== 'object' ||
    !isFunction(candidate?.query) ||
    !isFunction(candidate?.getDialect) ||
    !isFunction(candidate?.getQueryInterface) ||
    !isFunction(candidate?.define)
  ) {
    throw new ConfigurationError(
      'ERR_INVALID_SEQUELIZE',
      `Expected \`sequelize\` to be a Sequelize instance (from 'sequelize' v6 or '@sequelize/core' v7), got ${describe(value)}`,
    );
  }
}

function checkModel(model: unknown): asserts model is ModelLike {
  const candidate = model as { getTableName?: unknown; sync?: unknown } | null;
  if (typeof model !== 'function' || typeof candidate?.getTableName !== 'function' || typeof candidate.sync !== 'function') {
    throw new ConfigurationError('ERR_INVALID_MODEL', 'Expected `model` to be a Sequelize model class (from define() or Model.init())');
  }
}

/** Validates the public options and applies defaults. Throws a {@link ConfigurationError} naming the option. */
export function resolveOptions(options: unknown): ResolvedOptions {
  // No options at all is a missing instance, the one option without a default.
  if (options === undefined || options === null) {
    throw new ConfigurationError('ERR_INVALID_SEQUELIZE', 'Option `sequelize` (or `db`) is required: pass your Sequelize instance');
  }
  if (!isPlainObject(options)) throw invalidOption('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (KNOWN.has(key)) continue;
    const hint = MIGRATION_HINTS[key];
    throw new ConfigurationError('ERR_INVALID_OPTION', `Unknown option \`${key}\`${hint ? `: ${hint}` : ''}`);
  }
  if (options.sequelize !== undefined && options.db !== undefined && options.sequelize !== options.db) {
    throw new ConfigurationError('ERR_INVALID_OPTION', 'Options `sequelize` and `db` name two different instances: pass one');
  }
  // The instance itself is checked by the compat layer, which knows what a Sequelize looks like.
  const sequelize = (options.sequelize ?? options.db) as SequelizeLike;

  const preset = options.preset;
  if (preset !== undefined && !(typeof preset === 'string' && Object.hasOwn(PRESETS, preset))) {
    throw invalidOption('preset', `one of ${PRESET_NAMES.map((name) => `'${name}'`).join(', ')}`, preset);
  }
  const layout = preset === undefined ? undefined : PRESETS[preset as PresetName];
  const columns = options.columns ?? {};
  if (!isPlainObject(columns)) throw invalidOption('columns', 'an object like { sid, sess, expire }', columns);
  for (const key of Object.keys(columns)) {
    if (key !== 'sid' && key !== 'sess' && key !== 'expire') {
      throw new ConfigurationError('ERR_INVALID_OPTION', `Unknown option \`columns.${key}\`: expected sid, sess or expire`);
    }
  }

  const expiration = options.expiration ?? {};
  if (!isPlainObject(expiration)) throw invalidOption('expiration', 'an object like { interval, life }', expiration);
  for (const key of Object.keys(expiration)) {
    if (key !== 'interval' && key !== 'life' && key !== 'absolute') {
      throw new ConfigurationError('ERR_INVALID_OPTION', `Unknown option \`expiration.${key}\`: expected interval, life or absolute`);
    }
  }
  const interval = expiration.interval ?? 15 * 60_000;
  // Node's timers take at most 2^31-1 ms; beyond that they fire at once.
  if (interval !== false && !(isNonNegative(interval) && interval <= MAX_TIMER)) {
    throw invalidOption('expiration.interval', 'a number of milliseconds from 0 to 2147483647, or false', interval);
  }
  const life = expiration.life ?? 24 * 60 * 60_000;
  if (!isPositive(life)) throw invalidOption('expiration.life', 'a number of milliseconds greater than 0', life);
  const absolute = expiration.absolute;
  if (absolute !== undefined && !isPositive(absolute)) {
    throw invalidOption('expiration.absolute', 'a number of milliseconds greater than 0', absolute);
  }

  if (options.extras !== undefined && typeof options.extras !== 'function') {
    throw invalidOption('extras', 'a function (data, session, sid) => void | object', options.extras);
  }
  const touchAfter = options.touchAfter ?? 0;
  if (!isNonNegative(touchAfter)) throw invalidOption('touchAfter', 'a number of milliseconds (0 or more)', touchAfter);
  const maxSessionBytes = options.maxSessionBytes ?? 1024 * 1024;
  if (!isPositive(maxSessionBytes)) throw invalidOption('maxSessionBytes', 'a number of bytes greater than 0', maxSessionBytes);

  const serializer = options.serializer ?? JSON;
  if (
    !(typeof serializer === 'object' && serializer !== null) ||
    typeof (serializer as { stringify?: unknown }).stringify !== 'function' ||
    typeof (serializer as { parse?: unknown }).parse !== 'function'
  ) {
    throw invalidOption('serializer', 'an object with stringify and parse functions', serializer);
  }

  const operationTimeout = options.operationTimeout ?? 5_000;
  if (!(isPositive(operationTimeout) && operationTimeout <= MAX_TIMER)) {
    throw invalidOption('operationTimeout', 'a number of milliseconds from 1 to 2147483647', operationTimeout);
  }
  checkSequelize(sequelize);
  const hashSids = checkHashSids(options.hashSids);
  const encryption = checkEncryption(options.encryption);
  const model = options.model as ModelLike | undefined;
  if (model !== undefined) checkModel(model);
  return Object.freeze({
    sequelize,
    model,
    tableName: checkIdentifier('tableName', options.tableName, layout?.tableName ?? 'express_session'),
    columns: Object.freeze({
      sid: checkIdentifier('columns.sid', columns.sid, layout?.columns.sid ?? 'sid'),
      sess: checkIdentifier('columns.sess', columns.sess, layout?.columns.sess ?? 'sess'),
      expire: checkIdentifier('columns.expire', columns.expire, layout?.columns.expire ?? 'expire'),
    }),
    preset: preset as PresetName | undefined,
    shared: preset !== undefined || options.tableName !== undefined || Object.keys(columns).length > 0,
    extras: options.extras as SessionStoreLayoutOptions['extras'],
    pruneInterval: interval === false ? 0 : interval,
    life,
    absolute,
    disableTouch: checkBoolean('disableTouch', options.disableTouch, false),
    touchAfter,
    serializer: serializer as ResolvedOptions['serializer'],
    createTable: checkBoolean('createTable', options.createTable, model === undefined),
    maxSessionBytes,
    hashSids,
    encryption,
    operationTimeout,
    merge: checkBoolean('merge', options.merge, false),
  });
}
