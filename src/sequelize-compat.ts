/**
 * The one place that knows Sequelize v6 (`sequelize`) from v7 (`@sequelize/core`). Neither package
 * is imported: the store works with the instance the application passes in, described here by the
 * few members it uses, so a project with only one of the majors installed type-checks.
 */
import { ConfigurationError } from './errors.js';

/**
 * The members of a Sequelize v6 or v7 instance that the store uses. Parameters are `any` so that
 * either major's own, stricter signatures fit.
 */
export interface SequelizeLike {
  query(sql: string, options?: any): Promise<unknown>;
  getDialect(): string;
  getQueryInterface(): unknown;
  define(modelName: string, attributes: any, options?: any): ModelLike;
}

/** The members of a Sequelize v6 or v7 model class that the store uses. */
export interface ModelLike {
  readonly name: string;
  getTableName(): unknown;
  sync(options?: any): Promise<unknown>;
}

/** The dialect families the store writes SQL for; others get the portable statements. */
export type DialectName = 'postgres' | 'mysql' | 'mariadb' | 'sqlite' | 'mssql' | 'db2' | 'ibmi' | 'oracle' | 'snowflake' | 'other';

/** An attribute of a model, the same shape whatever the major. */
export interface AttributeInfo {
  /** The attribute's name in the model. */
  readonly name: string;
  /** The column's name in the table. */
  readonly column: string;
  /** The data type's name in upper case: STRING, TEXT, JSON, JSONB, DATE, … */
  readonly type: string;
  /** The declared length of a STRING, when there is one. */
  readonly length: number | undefined;
  readonly primaryKey: boolean;
}

/** What the store needs to know of a model, read once at construction. */
export interface ModelInfo {
  readonly attributes: ReadonlyMap<string, AttributeInfo>;
  /** Columns that Sequelize's timestamps fill, or undefined when the model has none. */
  readonly createdAt: string | undefined;
  readonly updatedAt: string | undefined;
}

interface QueryGeneratorLike {
  quoteIdentifier(identifier: string, force?: boolean): string;
  quoteTable(table: unknown): string;
}

export interface SequelizeCompat {
  readonly major: 6 | 7;
  readonly dialect: DialectName;
  /** The instance's `timezone` option ('+00:00' unless set): the zone its own DATETIME values are written in. */
  readonly timezone: string;
  /** Options merged into every store query: raw rows, the primary of a replicated setup, never an ambient transaction. */
  readonly queryOptions: Readonly<Record<string, unknown>>;
  /** Data types from the instance's own package, for defining the default model. */
  readonly dataTypes: Record<string, unknown>;
  quoteIdentifier(name: string): string;
  quoteTable(model: ModelLike): string;
  modelInfo(model: ModelLike): ModelInfo;
  /** The attribute option that names a column: `field` in v6, `columnName` in v7. */
  readonly columnOption: 'field' | 'columnName';
  /** A model already defined on the instance under this name. */
  findModel(name: string): ModelLike | undefined;
  /** The dialect's name as the instance gives it. */
  readonly rawDialect: string;
  readonly queryInterface: unknown;
  /** The table argument queryInterface methods take for this model. */
  tableOf(model: ModelLike): unknown;
  /** The table's bare name. */
  tableNameOf(model: ModelLike): string;
  /** The write side of the instance's own connection pool. */
  readonly pool: ConnectionPool;
  /**
   * Query options that run `sequelize.query` on a connection the store took from the pool: v7's
   * `connection`; in v6, a transaction-shaped holder of it, the form Sequelize itself uses to query
   * on a given connection (a no-op `rollback` for the deadlock path of its MySQL-family dialects:
   * outside a transaction the server has already rolled the statement back).
   */
  pinned(connection: unknown): object;
}

/**
 * Connections lent by the application's own Sequelize pool, always from its write side (the
 * primary under `replication`), through the same calls Sequelize makes, so its pool hooks run.
 */
export interface ConnectionPool {
  acquire(): Promise<unknown>;
  /** Gives a healthy connection back. */
  release(connection: unknown): void;
  /** Takes a connection out of the pool and closes it: its state is unknown (a query was lost). */
  destroy(connection: unknown): void;
  /** Connections open in the pool and lent out now, for leak checks. */
  counts(): { size: number; using: number };
}

interface SequelizePoolLike {
  size: number;
  using: number;
  acquire(): Promise<unknown>;
  release(connection: unknown): void;
}

const ignore = () => undefined;
const resolved = () => Promise.resolve();

/** sequelize-pool's own timeout, in the shape Sequelize turns it into (so it reads as transient). */
function acquireTimeout(error: unknown): never {
  if ((error as { constructor?: { name?: unknown } } | null)?.constructor?.name === 'TimeoutError') {
    throw Object.assign(new Error((error as Error).message), { name: 'SequelizeConnectionAcquireTimeoutError', parent: error, cause: error });
  }
  throw error;
}

const POOL_HOOKS = ['beforePoolAcquire', 'afterPoolAcquire'] as const;

/**
 * v6: `connectionManager.getConnection({ type, useMaster })`, whose pool picks the write side for
 * any type but SELECT; v6's SQLite hands out one shared connection per file outside transactions
 * and has no pool, so nothing is ever destroyed there. v7: `sequelize.pool`, a ReplicationPool.
 * While no pool hook is registered, the write pool is asked directly: the same connection, without
 * two hook runs per statement.
 */
function poolOf(sequelize: SequelizeLike, major: 6 | 7): ConnectionPool {
  // Both majors read only `type` and `useMaster` (v6 SQLite adds its own keys, the same each time).
  const request = { type: 'write', useMaster: true };
  if (major === 7) {
    const instance = sequelize as unknown as {
      hooks: { hasListeners(name: string): boolean };
      pool: {
        acquire(options: object): Promise<unknown>;
        release(connection: unknown): void;
        destroy(connection: unknown): Promise<void>;
        write: SequelizePoolLike;
      };
    };
    const pool = instance.pool;
    const hooked = () => POOL_HOOKS.some((name) => instance.hooks.hasListeners(name));
    return {
      acquire: () => (hooked() ? pool.acquire(request) : pool.write.acquire().catch(acquireTimeout)),
      // Every connection the store holds came from the write pool.
      release: (connection) => pool.write.release(connection),
      destroy: (connection) => void pool.destroy(connection).catch(ignore),
      counts: () => ({ size: pool.write.size, using: pool.write.using }),
    };
  }
  const instance = sequelize as unknown as {
    options: { databaseVersion?: unknown };
    hasHook(name: string): boolean;
    connectionManager: {
      getConnection(options: object): Promise<unknown>;
      releaseConnection(connection: unknown): void;
      destroyConnection?(connection: unknown): Promise<void>;
      connections?: Record<string, unknown>;
      pool?: SequelizePoolLike & { write?: SequelizePoolLike };
    };
  };
  const manager = instance.connectionManager;
  const shared = manager.connections !== undefined;
  // getConnection first learns the server's version (databaseVersion 0 until then).
  const direct = () =>
    !shared && instance.options.databaseVersion !== 0 && !POOL_HOOKS.some((name) => instance.hasHook(name));
  return {
    acquire: () => (direct() ? (manager.pool!.write ?? manager.pool!).acquire().catch(acquireTimeout) : manager.getConnection(request)),
    release: (connection) => manager.releaseConnection(connection),
    destroy: (connection) => {
      if (shared) return;
      void Promise.resolve(manager.destroyConnection?.(connection)).catch(ignore);
    },
    counts: () => {
      if (shared) return { size: Object.keys(manager.connections!).length, using: 0 };
      const pool = manager.pool?.write ?? manager.pool;
      return { size: pool?.size ?? 0, using: pool?.using ?? 0 };
    },
  };
}

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function';

function dialectName(raw: string): DialectName {
  switch (raw) {
    case 'postgres': case 'mysql': case 'mariadb': case 'mssql': case 'db2': case 'ibmi': case 'oracle': case 'snowflake':
      return raw;
    case 'sqlite': case 'sqlite3':
      return 'sqlite';
    default:
      return 'other';
  }
}

function typeName(type: unknown): string {
  if (typeof type === 'string') return type.split(/[\s(]/, 1)[0]!.toUpperCase();
  const value = type as { key?: unknown; getDataTypeId?: () => string; constructor?: { key?: unknown } } | undefined;
  // v7 names a data type through getDataTypeId(); v6 through `key`.
  if (value && isFunction(value.getDataTypeId)) return value.getDataTypeId().toUpperCase();
  if (value && typeof value.key === 'string') return value.key.toUpperCase();
  if (value?.constructor && typeof value.constructor.key === 'string') return value.constructor.key.toUpperCase();
  return 'UNKNOWN';
}

function typeLength(type: unknown): number | undefined {
  const value = type as { options?: { length?: unknown }; _length?: unknown } | undefined;
  const length = value?.options?.length ?? value?._length;
  return typeof length === 'number' ? length : undefined;
}

interface Timestamps {
  createdAt?: string;
  updatedAt?: string;
}

interface RawAttribute {
  field?: string;
  columnName?: string;
  type?: unknown;
  primaryKey?: boolean;
}

/**
 * The model's attributes and timestamp columns, from v7's `modelDefinition` (where v6's
 * `rawAttributes` throws) or v6's `rawAttributes` and `_timestampAttributes`.
 */
function readModel(model: ModelLike): ModelInfo {
  const v7 = (model as unknown as {
    modelDefinition?: { attributes: Map<string, RawAttribute>; timestampAttributeNames: Timestamps };
  }).modelDefinition;
  const v6 = model as unknown as { rawAttributes: Record<string, RawAttribute>; _timestampAttributes?: Timestamps };
  const entries = v7 ? v7.attributes.entries() : Object.entries(v6.rawAttributes);
  const timestamps = (v7 ? v7.timestampAttributeNames : v6._timestampAttributes) ?? {};

  const attributes = new Map<string, AttributeInfo>();
  for (const [name, attribute] of entries) {
    attributes.set(name, {
      name,
      column: (v7 ? attribute.columnName : attribute.field) ?? name,
      type: typeName(attribute.type),
      length: typeLength(attribute.type),
      primaryKey: attribute.primaryKey === true,
    });
  }
  const column = (name: string | undefined) => (name === undefined ? undefined : attributes.get(name)?.column);
  return { attributes, createdAt: column(timestamps.createdAt), updatedAt: column(timestamps.updatedAt) };
}

/** v7 deprecates getTableName() for `Model.table`; v6 has only getTableName(). */
const tableOf = (model: ModelLike): unknown =>
  'modelDefinition' in model ? (model.modelDefinition as { table: unknown }).table : model.getTableName();

/** Reads, once, what differs between the majors for this instance. */
export function compat(sequelize: SequelizeLike): SequelizeCompat {
  const instance = sequelize as unknown as {
    constructor: { DataTypes?: Record<string, unknown> };
    Sequelize?: { DataTypes?: Record<string, unknown> };
    queryGenerator?: QueryGeneratorLike;
  };
  // v7 deprecates getQueryInterface() and getDialect() in favour of these properties; v6 lacks queryGenerator.
  const queryInterface = (sequelize as unknown as { queryInterface?: unknown }).queryInterface ?? sequelize.getQueryInterface();
  const generator = instance.queryGenerator ?? (queryInterface as { queryGenerator?: QueryGeneratorLike }).queryGenerator;
  const rawDialect = (sequelize as unknown as { dialect?: { name?: string } }).dialect?.name ?? sequelize.getDialect();
  if (!generator) throw new ConfigurationError('ERR_INVALID_SEQUELIZE', 'The Sequelize instance has no query generator: is it a Sequelize v6 or v7 instance?');
  const version = Number.parseInt(String((sequelize.constructor as { version?: unknown }).version), 10);
  const major = version >= 7 || isFunction((sequelize as unknown as Record<string, unknown>).getCurrentClsTransaction) ? 7 : 6;
  const dataTypes = instance.constructor.DataTypes ?? instance.Sequelize?.DataTypes;
  if (!dataTypes) throw new ConfigurationError('ERR_INVALID_SEQUELIZE', 'Cannot find DataTypes on the Sequelize instance');
  const { timezone } = (sequelize as unknown as { options?: { timezone?: unknown } }).options ?? {};
  return Object.freeze({
    major,
    dialect: dialectName(rawDialect),
    timezone: typeof timezone === 'string' ? timezone : '+00:00',
    // useMaster: a session written a moment ago must not be read stale from a replica.
    // transaction null: v7 (and v6 with CLS) would otherwise join an application's ambient transaction.
    // tableNames []: v6's SQLite would otherwise send a PRAGMA table_info before every SELECT to
    // type the result's columns, which the store parses itself.
    queryOptions: Object.freeze({ raw: true, useMaster: true, transaction: null, tableNames: [] }),
    dataTypes,
    quoteIdentifier: (name: string) => generator.quoteIdentifier(name, true),
    quoteTable: (model: ModelLike) => generator.quoteTable(tableOf(model)),
    rawDialect,
    queryInterface,
    tableOf,
    tableNameOf: (model: ModelLike) => {
      const table = tableOf(model);
      return typeof table === 'string' ? table : String((table as { tableName?: unknown }).tableName);
    },
    modelInfo: readModel,
    columnOption: major === 7 ? 'columnName' : 'field',
    pool: poolOf(sequelize, major),
    pinned: major === 7 ? (connection: unknown) => ({ connection }) : (connection: unknown) => ({ transaction: { connection, rollback: resolved } }),
    findModel(name: string) {
      // v7 keeps models in a Map-like registry; v6 in a plain object. define() silently replaces in both.
      const models = (sequelize as unknown as { models?: { get?(name: string): ModelLike | undefined } & Record<string, unknown> }).models;
      if (!models) return undefined;
      return typeof models.get === 'function' ? models.get(name) : (models[name] as ModelLike | undefined);
    },
  });
}
