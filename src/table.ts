/**
 * The session table as a store uses it: its model, statements and codec (rebuilt once, when the
 * table turns out to exist with another store's layout, SPEC §2.5), and making it ready: reading
 * it when it may be another store's, creating it and its index on `expire` when asked to.
 */
import { AsyncResource } from 'node:async_hooks';
import { adoptTable } from './adopt.js';
import { createCodec, type Codec } from './codec.js';
import { createSealer } from './crypto.js';
import { toDatabaseError } from './database-errors.js';
import type { Dialect } from './dialects/index.js';
import { SessionStoreError, type CorruptSessionError } from './errors.js';
import type { Deadline } from './execution.js';
import type { Lifecycle } from './lifecycle.js';
import { mergeSqlFor } from './merge-sql.js';
import { resolveModel, type SessionModel } from './model.js';
import type { ResolvedOptions } from './options.js';
import type { SequelizeCompat } from './sequelize-compat.js';
import { buildStatements, type Statements } from './statements.js';

interface QueryInterfaceLike {
  showIndex(table: unknown, options: typeof OUTSIDE): Promise<Array<{ name?: string; fields?: Array<{ attribute?: string }> }>>;
  addIndex(table: unknown, fields: string[], options: { name: string } & typeof OUTSIDE): Promise<unknown>;
}

/**
 * Outside any transaction of the application's: with CLS (v7's default, v6 with useCLS) the table
 * would otherwise be created inside the transaction of whichever request came first, and vanish
 * with its rollback while the store believes it exists.
 */
const OUTSIDE = { transaction: null } as const;

interface DriverError {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
}

/**
 * What a creator meets when another one (another instance starting on the same empty database)
 * created the same table or index a moment before: PostgreSQL's duplicate relation (and, for two
 * concurrent CREATE TABLEs, a unique violation in its catalog), MySQL/MariaDB's existing table or
 * key name, SQLite's "already exists". And on a Galera node the interruption of this creator's
 * statement (ER_QUERY_INTERRUPTED, 1317): the other creator's CREATE TABLE or index is replicated in
 * total order, and to run it the node aborts whatever else holds a lock on that table: the statement
 * it aborts reports an interruption (1317) or, when it held a metadata lock, a deadlock (1213).
 */
const ALREADY_EXISTS = new Set([
  '42P07', '23505', 'ER_TABLE_EXISTS_ERROR', 'ER_DUP_KEYNAME', '1050', '1061', 'ER_QUERY_INTERRUPTED', '1317',
  'ER_LOCK_DEADLOCK', '1213',
  // The same interruption caught mid-result garbles the reply: mysql2 then fails to parse it
  // (ERR_OUT_OF_RANGE) and the mariadb connector sees a broken column header (45040). Both are
  // looked at again like the rest; a real failure fails again and is thrown after the last attempt.
  'ERR_OUT_OF_RANGE', 'ER_DUPLICATE_FIELD', '45040',
]);

/**
 * Messages of the same kind that come without a code: "already exists" (SQLite), and mysql2 reading
 * a garbled column header's character set as a number it has no encoding for (iconv-lite's
 * "Encoding not recognized: 'undefined'").
 */
const ALREADY_EXISTS_MESSAGE = /already exists|^Encoding not recognized: 'undefined'/i;

/**
 * Attempts of the whole creation when a concurrent creator got there first. Six Galera nodes'
 * creators can abort each other's statements more than twice before one of them wins.
 */
const MAX_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a creation failed only because another creator was making the same table or index. */
export function createdMeanwhile(error: unknown): boolean {
  const raw = (error ?? {}) as { cause?: unknown; parent?: DriverError } & DriverError;
  // The driver's error: `cause` in v7 (whose `parent` getter is deprecated), `parent` in v6.
  const driver = typeof raw.cause === 'object' && raw.cause !== null ? (raw.cause as DriverError) : raw.parent;
  for (const candidate of [driver, raw]) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    if (ALREADY_EXISTS.has(String(candidate.code)) || ALREADY_EXISTS.has(String(candidate.errno))) return true;
    if (ALREADY_EXISTS_MESSAGE.test(String(candidate.message))) return true;
  }
  return false;
}

/**
 * Creates the table if missing (never altering an existing one) and makes sure `expire` is indexed.
 * A concurrent creator's table or index counts as done: the check runs again and finds it.
 */
export function ensureTable(compat: SequelizeCompat, session: SessionModel): Promise<void> {
  return lookingAgain(() => createOnce(compat, session));
}

/**
 * Runs `work` (a creation, or the reading of a table that may be being created) again while it
 * fails only because of a concurrent creator: on a Galera node even a read of the table's
 * description can be interrupted, or its reply garbled, by another node's replicated DDL.
 */
async function lookingAgain<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !createdMeanwhile(error)) throw error;
      // The other creator may still be adding the index: a short, jittered pause before looking again.
      await sleep(attempt * (10 + Math.random() * 30));
    }
  }
}

async function createOnce(compat: SequelizeCompat, session: SessionModel): Promise<void> {
  // An adopted table exists as another store made it: only its index may be missing.
  if (!session.adopted) await session.model.sync(OUTSIDE);
  // The created model declares its index; a user's model or an adopted table may not, and pruning needs one.
  if (session.created) return;
  const queryInterface = compat.queryInterface as QueryInterfaceLike;
  const table = compat.tableOf(session.model);
  const expire = session.expireColumn;
  const indexes = await queryInterface.showIndex(table, OUTSIDE);
  if (indexes.some((index) => index.fields?.[0]?.attribute === expire)) return;
  const name = `${compat.tableNameOf(session.model)}_${expire}`.slice(0, 60);
  await queryInterface.addIndex(table, [expire], { name, ...OUTSIDE });
}

export class SessionTable {
  readonly #compat: SequelizeCompat;
  readonly #dialect: Dialect;
  readonly #options: ResolvedOptions;
  readonly #corrupt: (error: CorruptSessionError) => void;
  #model!: SessionModel;
  #sql!: Statements;
  #codec!: Codec;
  /** Without a model of the user's: the table's columns are still to be read, before the first operation. */
  #adopting: boolean;
  /**
   * Runs work in the async context the store was constructed in: the table is created outside the
   * (CLS) transaction of whichever request comes first, which v7 would otherwise join in part.
   */
  readonly #outsideRequests = AsyncResource.bind(<T>(run: () => Promise<T>): Promise<T> => run());

  constructor(compat: SequelizeCompat, dialect: Dialect, options: ResolvedOptions, corrupt: (error: CorruptSessionError) => void) {
    this.#compat = compat;
    this.#dialect = dialect;
    this.#options = options;
    this.#corrupt = corrupt;
    this.#install(resolveModel(options.sequelize, compat, dialect, options));
    // The default table is this store's own; a table named in the options may be another store's.
    this.#adopting = options.model === undefined && options.shared;
  }

  get model(): SessionModel {
    return this.#model;
  }

  get sql(): Statements {
    return this.#sql;
  }

  get codec(): Codec {
    return this.#codec;
  }

  /** Whether the statements, the codec and the longest sid still depend on the table's columns, read before the first operation. */
  get adopting(): boolean {
    return this.#adopting;
  }

  /** Whether the first operation must wait for {@link prepare}; also to ask a MySQL/MariaDB server whether it is a Galera node. */
  get needsPreparing(): boolean {
    return this.#options.createTable || this.#adopting || this.#dialect.causalReads !== undefined;
  }

  /** Builds the statements and the codec of a model: at construction, and again for an adopted table. */
  #install(model: SessionModel): void {
    this.#model = model;
    this.#sql = buildStatements(this.#dialect, model, this.#compat.quoteIdentifier, this.#options.absolute, this.#merging(model));
    const json = model.shape.sessKind === 'json';
    this.#codec = createCodec({
      serializer: json ? JSON : this.#options.serializer,
      json,
      maxBytes: this.#options.maxSessionBytes,
      marker: json ? this.#dialect.jsonMarker : model.shape.textMarker,
      sealer: createSealer(this.#options.encryption),
      corrupt: this.#corrupt,
    });
  }

  /** With `merge`: the merging upserts of this table, undefined where a set must write whole. */
  #merging(model: SessionModel) {
    if (!this.#options.merge) return undefined;
    const sess = [...model.info.attributes.values()].find((attribute) => this.#compat.quoteIdentifier(attribute.column) === model.shape.sess);
    return mergeSqlFor(this.#compat.dialect, this.#dialect, model, {
      encrypted: this.#options.encryption !== undefined,
      jsonText: this.#options.serializer === JSON,
      // The column's own type (json, jsonb or text), which the patched value is cast back to.
      sessType: sess?.type ?? 'TEXT',
    });
  }

  /**
   * Before the first operation: the table (read when it may be another store's, created when the
   * store creates it), and whether reads must wait for other nodes.
   */
  async prepare(life: Lifecycle, deadline: Deadline): Promise<void> {
    await this.sync(this.#options.createTable);
    const causal = this.#dialect.causalReads;
    if (causal !== undefined && (await life.multiPrimary(causal, deadline))) this.#sql.waitForOtherNodes(causal.causal);
  }

  /** Reads the table when it may be another store's, then creates it (`create`) if missing. */
  sync(create: boolean): Promise<void> {
    return this.#outsideRequests(async () => {
      try {
        if (this.#adopting) {
          const adopted = await lookingAgain(() => adoptTable(this.#options.sequelize, this.#compat, this.#dialect, this.#options, this.#model));
          // No such table: the created model stands, and makes it below.
          if (adopted) this.#install(adopted);
          this.#adopting = false;
        }
        if (create) await ensureTable(this.#compat, this.#model);
      } catch (error) {
        if (error instanceof SessionStoreError) throw error;
        throw toDatabaseError('sync', error, []);
      }
    });
  }
}
