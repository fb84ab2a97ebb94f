/**
 * The express-session store. Each operation is one SQL statement built once per store (see
 * statements.ts), run with bound parameters under the operation's deadline (see execution.ts);
 * this file holds the request-path logic around them: validation, coalescing, the touch window, errors.
 */
import { AsyncResource } from 'node:async_hooks';
import createDebug from 'debug';
import { Store } from 'express-session';
import type { SessionData } from 'express-session';
import { settle, type Callback } from './callback.js';
import { createCodec, type Codec } from './codec.js';
import { createSealer, sidHasher, type SidKey } from './crypto.js';
import { isRetryable, toDatabaseError } from './database-errors.js';
import { adoptTable } from './adopt.js';
import { dialectFor, type Dialect } from './dialects/index.js';
import {
  ConfigurationError,
  CorruptSessionError,
  DatabaseError,
  InvalidInputError,
  SessionStoreError,
  StoreClosedError,
  describe,
} from './errors.js';
import { createExecution, Deadline, type Execution, type Shape } from './execution.js';
import { expiryOf, hasExpires, touchNeeded } from './expiry.js';
import { ensureTable } from './table.js';
import { resolveModel, type SessionModel } from './model.js';
import { resolveOptions, type ResolvedOptions, type SequelizeSessionStoreOptions, type SessionModelStatic } from './options.js';
import { MergeTracker, type Diff } from './merge.js';
import { mergeSqlFor, type MergeSql } from './merge-sql.js';
import { Pruner } from './pruner.js';
import { assertSequelize, compat, type ModelLike, type SequelizeCompat } from './sequelize-compat.js';
import { buildStatements, MARKER_LIFE_MS, type Statements } from './statements.js';

const debug = createDebug('sequelize-session-store');

/** A stored row as the get/all statements return it. */
interface Row {
  k?: unknown;
  s: unknown;
  e: unknown;
}

/** Past this many remembered expiries the memory of them starts over (it only saves writes). */
const MAX_KNOWN_EXPIRIES = 10_000;

/** Attempts of a statement that failed on contention (deadlock, serialization, busy database). */
const MAX_ATTEMPTS = 3;
/**
 * On a multi-primary cluster, writes of one session through several nodes at once fail
 * certification (reported as a deadlock) far more often than a single server deadlocks.
 */
const MULTI_PRIMARY_ATTEMPTS = 6;

/**
 * Prune batches in a row that may lose to another pruner (on a multi-primary cluster, a batch whose
 * rows another node deleted first fails certification as a deadlock) before the prune gives up.
 */
const MAX_PRUNE_CONFLICTS = 20;

const MIN_PRUNE_BATCH = 500;
const MAX_PRUNE_BATCH = 80_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server setting read back as 1, true, 1n, '1' or 'ON', whichever the driver and path return. */
function isOn(value: unknown): boolean {
  if (value === true || value === 1 || value === 1n) return true;
  const text = Buffer.isBuffer(value) ? value.toString() : typeof value === 'string' ? value : '';
  return text.trim() === '1' || text.trim().toUpperCase() === 'ON';
}

const toMs = (value: unknown): number =>
  value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(String(value));

/** The deadline of work bounded otherwise (a prune, batch by batch): it never passes. */
const UNBOUNDED = new Deadline();

const ROWS: Shape = 'rows';
const COUNT: Shape = 'count';

/**
 * An express-session store that keeps sessions in a SQL table through Sequelize v6 or v7.
 * @example
 * const store = new SequelizeSessionStore({ sequelize });
 * app.use(session({ store, secret, resave: false, saveUninitialized: false }));
 */
export class SequelizeSessionStore<M extends ModelLike = SessionModelStatic> extends Store {
  readonly #options: ResolvedOptions;
  readonly #compat: SequelizeCompat;
  readonly #dialect: Dialect;
  readonly #exec: Execution;
  // Replaced once, when the table turns out to exist with another layout (SPEC §2.5).
  #model!: SessionModel;
  #sql!: Statements;
  #codec!: Codec;
  /** Without a model of the user's: the table's columns are still to be read, before the first operation. */
  #adopting: boolean;
  readonly #pruner: Pruner;
  /** The sid column's key for a session id: the id, or its digest with `hashSids`. */
  readonly #key: SidKey;
  /** With `expiration.absolute`, the oldest creation time still valid, appended to a read's or touch's bind. */
  readonly #cutoff: ((now: number) => unknown) | undefined;
  /** The get statement: plain, or one that waits for other nodes' writes (Galera), known at readiness. */
  #getSql!: string;
  #maxAttempts = MAX_ATTEMPTS;
  /** Settles once the table exists and the server is known; reset after a failure so the next operation tries again. */
  #ready: Promise<void> | undefined;
  #isReady: boolean;
  #closed = false;
  #inFlight = 0;
  /** What every close() call waits on: settled once nothing is in flight and callers have their results. */
  #drain: { promise: Promise<void>; resolve: () => void } | undefined;
  /** In-flight reads by key: concurrent gets of one session share a query. */
  readonly #gets = new Map<string, Promise<Row | undefined>>();
  /** In-flight touches by key, with the expiry they write. */
  readonly #touches = new Map<string, { expire: number; promise: Promise<void> }>();
  /** Stored expiries this process read or wrote, for `touchAfter`. */
  readonly #known = new Map<string, number>();
  #pruning: Promise<number> | undefined;
  /** With `merge`: the merging upserts (undefined where a set writes whole) and the base of each read. */
  #mergeSql: MergeSql | undefined;
  readonly #merges = new MergeTracker();
  /** Rows per prune batch, learned so that each batch takes 25–50 ms. */
  #pruneSize: number;
  /**
   * Runs work in the async context the store was constructed in: the table is created outside the
   * (CLS) transaction of whichever request comes first, which v7 would otherwise join in part.
   */
  readonly #outsideRequests = AsyncResource.bind(<T>(run: () => Promise<T>): Promise<T> => run());

  constructor(options: SequelizeSessionStoreOptions<M>) {
    super();
    this.#options = resolveOptions(options);
    const { sequelize } = this.#options;
    assertSequelize(sequelize);
    this.#compat = compat(sequelize);
    this.#exec = createExecution(sequelize, this.#compat.dialect, this.#compat.pool, this.#compat.queryOptions, this.#compat.pinned);
    const dialect = dialectFor(this.#compat.dialect);
    if (!dialect) {
      throw new ConfigurationError(
        'ERR_INVALID_SEQUELIZE',
        `Dialect ${describe(this.#compat.rawDialect)} is not supported: the store needs a single-statement upsert`,
      );
    }
    this.#dialect = dialect;
    this.#install(resolveModel(sequelize, this.#compat, dialect, this.#options));
    const { absolute } = this.#options;
    this.#key = sidHasher(this.#options.hashSids) ?? ((sid) => sid);
    const time = this.#sql.time;
    this.#cutoff = absolute === undefined ? undefined : (now) => time(now - absolute);
    // The default table is this store's own; a table named in the options may be another store's.
    this.#adopting = this.#options.model === undefined && this.#options.shared;
    // Readiness also asks a MySQL/MariaDB server whether it is a Galera node.
    this.#isReady = !this.#options.createTable && !this.#adopting && dialect.causalReads === undefined;
    this.#pruneSize = dialect.pruneBatchSize;
    this.#pruner = new Pruner(
      this.#options.pruneInterval,
      () => this.#track('prune', () => this.#prune(), false),
      (error) => this.#report(error, 'prune'),
    );
    this.#pruner.start();
  }

  /** Builds the statements and the codec of a model: at construction, and again for an adopted table. */
  #install(model: SessionModel): void {
    this.#model = model;
    this.#sql = buildStatements(this.#dialect, model, this.#compat.quoteIdentifier, this.#options.absolute !== undefined);
    this.#getSql = this.#sql.get;
    const json = model.shape.sessKind === 'json';
    this.#codec = createCodec({
      serializer: json ? JSON : this.#options.serializer,
      json,
      maxBytes: this.#options.maxSessionBytes,
      marker: json ? this.#dialect.jsonMarker : model.shape.textMarker,
      sealer: createSealer(this.#options.encryption),
    });
    this.#mergeSql = this.#options.merge
      ? mergeSqlFor(this.#compat.dialect, this.#dialect, model, {
          encrypted: this.#options.encryption !== undefined,
          jsonText: this.#options.serializer === JSON,
          // The column's own type (json, jsonb or text), which the patched value is cast back to.
          sessType: [...model.info.attributes.values()].find((a) => this.#compat.quoteIdentifier(a.column) === model.shape.sess)?.type ?? 'TEXT',
        })
      : undefined;
  }

  /**
   * The Sequelize model holding the sessions: yours, with its type, or the created one (until the
   * first operation, the one created for a missing table).
   */
  get model(): M {
    return this.#model.model as M;
  }

  /**
   * express-session builds each request's session here from what `get` returned, and later saves
   * that very object: with `merge`, the object's content now is the base its `set` is diffed with.
   */
  override createSession(...args: Parameters<Store['createSession']>): ReturnType<Store['createSession']> {
    const session = super.createSession(...args);
    if (this.#mergeSql !== undefined) this.#merges.read(session);
    return session;
  }

  override get(sid: string, callback?: Callback<SessionData | null>): Promise<SessionData | null> {
    return settle(this.#get(sid), callback);
  }

  override set(sid: string, session: SessionData, callback?: Callback<void>): Promise<void> {
    return settle(this.#set(sid, session), callback);
  }

  override touch(sid: string, session: SessionData, callback?: Callback<void>): Promise<void> {
    return settle(this.#touch(sid, session), callback);
  }

  override destroy(sid: string, callback?: Callback<void>): Promise<void> {
    return settle(this.#destroy(sid), callback);
  }

  override all(callback?: Callback<Record<string, SessionData>>): Promise<Record<string, SessionData>> {
    return settle(this.#track('all', (deadline) => this.#all(deadline)), callback);
  }

  override length(callback?: Callback<number>): Promise<number> {
    return settle(this.#track('length', (deadline) => this.#length(deadline)), callback);
  }

  override clear(callback?: Callback<void>): Promise<void> {
    return settle(this.#track('clear', (deadline) => this.#clear(deadline)), callback);
  }

  /** Prunes expired sessions now; resolves to how many rows were removed. */
  cleanExpired(callback?: Callback<number>): Promise<number> {
    return settle(this.#track('cleanExpired', () => this.#prune(), false), callback);
  }

  /**
   * Removes every session whose extra columns match `where` (for example `{ userId: 42 }`), except
   * the one whose id is `except`: "sign out everywhere else". Resolves to how many were removed.
   */
  destroyWhere(where: Record<string, unknown>, options?: { except?: string }, callback?: Callback<number>): Promise<number>;
  destroyWhere(where: Record<string, unknown>, callback?: Callback<number>): Promise<number>;
  destroyWhere(
    where: Record<string, unknown>,
    options?: { except?: string } | Callback<number>,
    callback?: Callback<number>,
  ): Promise<number> {
    if (typeof options === 'function') return settle(this.#track('destroyWhere', (deadline) => this.#destroyWhere(where, {}, deadline)), options);
    return settle(this.#track('destroyWhere', (deadline) => this.#destroyWhere(where, options ?? {}, deadline)), callback);
  }

  /** Creates the table and the index on `expire` if missing; idempotent. */
  sync(callback?: Callback<void>): Promise<void> {
    // Before the first operation, making the table ready is the sync itself, unless readiness
    // only reads the table (an adopted one with createTable off).
    const again = this.#isReady || !this.#options.createTable;
    return settle(this.#track('sync', () => (again ? this.#sync(true) : Promise.resolve())), callback);
  }

  /** Stops the prune timer and waits for operations in flight. The Sequelize instance stays open. */
  close(callback?: Callback<void>): Promise<void> {
    this.#closed = true;
    this.#pruner.stop();
    if (this.#drain === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.#drain = { promise, resolve };
      if (this.#inFlight === 0) this.#drained();
    }
    return settle(this.#drain.promise, callback);
  }

  // ---- request path ----

  #get(sid: string): Promise<SessionData | null> {
    const problem = this.#check('get', sid);
    if (problem) return problem;
    // The statements, the codec and the longest sid depend on the table, read before the first operation.
    if (this.#adopting) return this.#track('get', () => this.#get(sid));
    // A sid the table could not hold was never stored.
    if (!this.#storable(sid)) return Promise.resolve(null);
    const key = this.#key(sid);
    let row = this.#gets.get(key);
    if (row === undefined) {
      row = this.#track('get', (deadline) => this.#readRow(key, deadline));
      this.#gets.set(key, row);
      // Only this exact query leaves the map: a write may have replaced it with a newer one meanwhile.
      const forget = () => {
        if (this.#gets.get(key) === row) this.#gets.delete(key);
      };
      row.then(forget, forget);
    }
    // Each caller decodes its own copy: express-session mutates the session it is given.
    return row.then((found) => (found === undefined ? null : this.#toSession(found, key)));
  }

  async #readRow(key: string, deadline: Deadline): Promise<Row | undefined> {
    const now = Date.now();
    const rows = (await this.#query('get', this.#getSql, this.#young([key, this.#sql.time(now)], now), ROWS, deadline)) as Row[];
    const row = rows[0];
    if (row !== undefined && this.#options.touchAfter > 0) this.#remember(key, toMs(row.e));
    return row;
  }

  #set(sid: string, session: SessionData): Promise<void> {
    const problem = this.#check('set', sid);
    if (problem) return problem;
    if (this.#adopting) return this.#track('set', () => this.#set(sid, session));
    let bind: unknown[];
    let extraAttributes: string[];
    let sql: string;
    let merge: Diff | undefined;
    const now = Date.now();
    let expire: number;
    let key: string;
    try {
      if (!this.#storable(sid)) {
        throw new InvalidInputError(
          'ERR_INVALID_SID',
          `A session id must be a non-empty, well-formed string of at most ${this.#model.maxSidLength} characters without NUL`,
        );
      }
      if (typeof session !== 'object' || session === null) {
        throw new InvalidInputError('ERR_INVALID_SESSION', `Expected the session to be an object, got ${describe(session)}`);
      }
      key = this.#key(sid);
      const encoded = this.#codec.encode(session, key);
      expire = expiryOf(session, now, this.#options.life);
      bind = [key, encoded, this.#sql.time(expire)];
      extraAttributes = this.#extras(sid, session, bind);
      bind.push(this.#sql.time(now));
      sql = this.#sql.upsert(extraAttributes);
      // With a base to diff with (after encode: the session serializes), only the changed keys go into the row as it is now.
      merge = this.#mergeSql === undefined ? undefined : this.#merges.diff(session);
      const merged = merge && this.#mergeSql!.statement(sql, extraAttributes.length, merge);
      if (merged) {
        sql = merged.sql;
        for (const value of merged.bind) bind.push(value);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    this.#gets.delete(key);
    return this.#track('set', async (deadline) => {
      const changed = (await this.#query('set', sql, bind, COUNT, deadline)) as number;
      if (merge) this.#merges.wrote(session, merge);
      if (this.#options.touchAfter > 0) {
        // An upsert a destroy marker held off (or that found the same values) leaves the row as it was.
        if (changed > 0) this.#remember(key, expire);
        else this.#known.delete(key);
      }
    });
  }

  /** Runs `extras` and appends its values to `bind`; returns the attributes it filled, in bind order. */
  #extras(sid: string, session: SessionData, bind: unknown[]): string[] {
    const { extras } = this.#options;
    if (extras === undefined) return [];
    const seed: Record<string, unknown> = {};
    let values: unknown;
    try {
      values = extras(seed, session, sid) ?? seed;
    } catch (error) {
      throw new InvalidInputError('ERR_EXTRAS_FAILED', `The \`extras\` function threw (${(error as Error)?.name ?? 'Error'}): nothing was written`);
    }
    if (typeof values !== 'object' || values === null) {
      throw new InvalidInputError('ERR_EXTRAS_FAILED', `Expected \`extras\` to return an object or nothing, got ${describe(values)}`);
    }
    if (typeof (values as { then?: unknown }).then === 'function') {
      // Its columns would be filled after the row was written: refused rather than silently left empty.
      // A rejection of it is nobody's to handle now; it must not crash the process as an unhandled one.
      Promise.resolve(values).catch(() => {});
      throw new InvalidInputError('ERR_EXTRAS_FAILED', '`extras` returned a Promise: it must be synchronous (compute the values before `set`); nothing was written');
    }
    const names = Object.keys(values);
    for (const name of names) {
      const column = this.#sql.column(name);
      if (column === undefined) {
        throw new InvalidInputError(
          'ERR_EXTRAS_FAILED',
          `\`extras\` set \`${name}\`, which is not an attribute of the model other than sid, sess and expire`,
        );
      }
      bind.push(this.#bindValue(column.isDate, (values as Record<string, unknown>)[name], name));
    }
    return names;
  }

  #bindValue(isDate: boolean, value: unknown, name: string): unknown {
    if (value === undefined) return null;
    if (isDate && value !== null) {
      const ms = toMs(value);
      if (Number.isNaN(ms)) throw new InvalidInputError('ERR_INVALID_ARGUMENT', `\`${name}\` is a date column, and its value is not a valid date`);
      return this.#sql.time(ms);
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) return JSON.stringify(value);
    return value;
  }

  #touch(sid: string, session: SessionData): Promise<void> {
    const problem = this.#check('touch', sid);
    if (problem) return problem;
    if (this.#adopting) return this.#track('touch', () => this.#touch(sid, session));
    if (this.#options.disableTouch || !this.#storable(sid)) return Promise.resolve();
    if (typeof session !== 'object' || session === null) {
      return Promise.reject(new InvalidInputError('ERR_INVALID_SESSION', `Expected the session to be an object, got ${describe(session)}`));
    }
    const now = Date.now();
    const expire = expiryOf(session, now, this.#options.life);
    const { touchAfter } = this.#options;
    const key = this.#key(sid);
    if (touchAfter > 0) {
      const known = this.#known.get(key);
      if (known !== undefined && !touchNeeded(known, expire, touchAfter)) return Promise.resolve();
    }
    const running = this.#touches.get(key);
    // A running touch stands in only for one that would move the expiry no further: never for an earlier one.
    if (running !== undefined && (expire === running.expire || (expire > running.expire && expire - running.expire < touchAfter))) {
      return running.promise;
    }
    this.#gets.delete(key);
    const promise = this.#track('touch', async (deadline) => {
      const time = this.#sql.time;
      if (touchAfter > 0) {
        const bind = this.#young([time(expire), time(now), key, time(expire - touchAfter)], now);
        const changed = (await this.#query('touch', this.#sql.touchAfter, bind, COUNT, deadline)) as number;
        // A write that changed no row says nothing of what the row holds (inside the window, gone, destroyed).
        if (changed > 0) this.#remember(key, expire);
        else this.#known.delete(key);
      } else {
        await this.#query('touch', this.#sql.touch, this.#young([time(expire), time(now), key], now), COUNT, deadline);
      }
    });
    this.#touches.set(key, { expire, promise });
    // Leaves the map when its callers hear the outcome (a timeout included), not when a lost query
    // ends: later touches must not share a rejection that is already stale.
    const forget = () => {
      if (this.#touches.get(key)?.promise === promise) this.#touches.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  #destroy(sid: string): Promise<void> {
    const problem = this.#check('destroy', sid);
    if (problem) return problem;
    if (this.#adopting) return this.#track('destroy', () => this.#destroy(sid));
    if (!this.#storable(sid)) return Promise.resolve();
    const key = this.#key(sid);
    this.#gets.delete(key);
    this.#known.delete(key);
    const now = Date.now();
    const marker = this.#sql.time(now + MARKER_LIFE_MS);
    const bind = this.#sql.setsUpdatedAt ? [marker, this.#sql.time(now), key] : [marker, key];
    return this.#track('destroy', async (deadline) => {
      await this.#query('destroy', this.#sql.destroy, bind, COUNT, deadline);
    });
  }

  // ---- whole-table operations ----

  async #all(deadline: Deadline): Promise<Record<string, SessionData>> {
    const now = Date.now();
    const rows = (await this.#query('all', this.#sql.all, this.#young([this.#sql.time(now)], now), ROWS, deadline)) as Row[];
    const sessions: Record<string, SessionData> = {};
    for (const row of rows) {
      const key = Buffer.isBuffer(row.k) ? row.k.toString('utf8') : String(row.k);
      const session = this.#toSession(row, key);
      if (session !== null) sessions[key] = session;
    }
    return sessions;
  }

  async #length(deadline: Deadline): Promise<number> {
    const now = Date.now();
    const rows = (await this.#query('length', this.#sql.length, this.#young([this.#sql.time(now)], now), ROWS, deadline)) as Array<{
      n: unknown;
    }>;
    return Number(rows[0]?.n ?? 0);
  }

  async #clear(deadline: Deadline): Promise<void> {
    this.#forgetAll();
    await this.#query('clear', this.#sql.clear, [], COUNT, deadline);
  }

  #prune(): Promise<number> {
    // One prune at a time per store; a second caller shares the running one.
    this.#pruning ??= this.#pruneBatches().finally(() => (this.#pruning = undefined));
    return this.#pruning;
  }

  async #pruneBatches(): Promise<number> {
    const bind = [this.#sql.time(Date.now())];
    const batch = (sql: string) => this.#deadline('prune', (deadline) => this.#query('prune', sql, bind, COUNT, deadline)) as Promise<number>;
    if (this.#sql.pruneBatch(this.#pruneSize) === undefined) return batch(this.#sql.pruneAll);
    let total = 0;
    let conflicts = 0;
    for (;;) {
      const size = this.#pruneSize;
      const started = performance.now();
      let removed: number;
      try {
        removed = await batch(this.#sql.pruneBatch(size)!);
        conflicts = 0;
      } catch (error) {
        // The batch removed nothing, and the rows it lost on were another pruner's: go on with the rest.
        if (++conflicts < MAX_PRUNE_CONFLICTS && error instanceof DatabaseError && isRetryable({ code: error.driverCode })) {
          await sleep(10 + Math.random() * 50);
          continue;
        }
        throw error;
      }
      const took = performance.now() - started;
      total += removed;
      if (removed < size || this.#closed) break;
      // Short batches keep readers and writers waiting briefly (SQLite blocks them all meanwhile);
      // too many tiny ones make the whole prune slow. Sizes stay powers of two apart: few statements.
      if (took < 25) this.#pruneSize = Math.min(MAX_PRUNE_BATCH, size * 2);
      else if (took > 50) this.#pruneSize = Math.max(MIN_PRUNE_BATCH, Math.floor(size / 2));
    }
    debug('pruned %d expired rows', total);
    return total;
  }

  async #destroyWhere(where: Record<string, unknown>, options: { except?: string }, deadline: Deadline): Promise<number> {
    if (typeof where !== 'object' || where === null || Array.isArray(where) || Object.keys(where).length === 0) {
      throw new InvalidInputError('ERR_INVALID_ARGUMENT', `Expected \`where\` to be an object naming at least one column, got ${describe(where)}`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidInputError('ERR_INVALID_ARGUMENT', `Expected the options of destroyWhere to be an object, got ${describe(options)}`);
    }
    const { except } = options;
    if (except !== undefined && typeof except !== 'string') {
      throw new InvalidInputError('ERR_INVALID_ARGUMENT', `Expected \`except\` to be a session id (string), got ${describe(except)}`);
    }
    const now = Date.now();
    const bind: unknown[] = [this.#sql.time(now + MARKER_LIFE_MS), this.#sql.time(now)];
    const time = (placeholder: string) => this.#sql.dialect.time(placeholder);
    const conditions: string[] = [`${this.#sql.shape.expire} > ${this.#sql.expireTime('$2')}`, this.#sql.live];
    // A session past expiration.absolute is gone already (get, all and length skip it): not counted as removed.
    if (this.#cutoff !== undefined) {
      bind.push(this.#cutoff(now));
      conditions.push(`${this.#compat.quoteIdentifier(this.#model.info.createdAt!)} > ${time(`$${bind.length}`)}`);
    }
    for (const [name, value] of Object.entries(where)) {
      const column = this.#sql.column(name);
      if (column === undefined) {
        throw new InvalidInputError('ERR_INVALID_ARGUMENT', `\`where\` names \`${name}\`, which is not an extra attribute of the model`);
      }
      if (value === null || value === undefined) {
        conditions.push(`${column.quoted} IS NULL`);
        continue;
      }
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0) return 0;
      const placeholders = values.map((item) => {
        bind.push(this.#bindValue(column.isDate, item, name));
        return column.isDate ? time(`$${bind.length}`) : `$${bind.length}`;
      });
      conditions.push(placeholders.length === 1 ? `${column.quoted} = ${placeholders[0]}` : `${column.quoted} IN (${placeholders.join(', ')})`);
    }
    if (except !== undefined) {
      bind.push(this.#key(except));
      conditions.push(`${this.#sql.shape.sid} <> $${bind.length}`);
    }
    const { table, sess, expire } = this.#sql.shape;
    const touched = this.#sql.setsUpdatedAt ? `, ${this.#compat.quoteIdentifier(this.#model.info.updatedAt!)} = ${time('$2')}` : '';
    const sql = `UPDATE ${table} SET ${sess} = ${this.#sql.markerLiteral}, ${expire} = ${this.#sql.expireTime('$1')}${touched} WHERE ${conditions.join(' AND ')}`;
    this.#forgetAll();
    return (await this.#query('destroyWhere', sql, bind, COUNT, deadline)) as number;
  }

  /** Reads the table when it may be another store's, then creates it (`create`) if missing. */
  async #sync(create: boolean): Promise<void> {
    try {
      await this.#outsideRequests(async () => {
        if (this.#adopting) {
          const { sequelize } = this.#options;
          const adopted = await adoptTable(sequelize, this.#compat, this.#dialect, this.#options, this.#model);
          // No such table: the created model stands, and makes it below.
          if (adopted) this.#install(adopted);
          this.#adopting = false;
        }
        if (create) await ensureTable(this.#compat, this.#model);
      });
    } catch (error) {
      if (error instanceof SessionStoreError) throw error;
      throw toDatabaseError('sync', error, []);
    }
  }

  /**
   * Before the first operation: the table (read when it may be another store's, created when the
   * store creates it), and whether reads must wait for other nodes.
   */
  async #prepare(deadline: Deadline): Promise<void> {
    await this.#sync(this.#options.createTable);
    const causal = this.#dialect.causalReads;
    if (causal !== undefined) {
      try {
        const [row] = (await this.#query('sync', causal.probe, [], ROWS, deadline)) as Array<Record<string, unknown>>;
        if (row !== undefined && isOn(Object.values(row)[0])) {
          this.#getSql = causal.causal(this.#sql.get);
          this.#maxAttempts = MULTI_PRIMARY_ATTEMPTS;
        }
      } catch (error) {
        // A server that does not know the setting has no other nodes; a lost connection is tried again.
        if (error instanceof DatabaseError && error.transient) throw error;
      }
    }
    this.#isReady = true;
  }

  // ---- plumbing ----

  /** Refuses a non-string sid and any call after close(); undefined when the call may go on. */
  #check(operation: string, sid: unknown): Promise<never> | undefined {
    if (this.#closed) return Promise.reject(new StoreClosedError(operation));
    if (typeof sid !== 'string') {
      return Promise.reject(new InvalidInputError('ERR_INVALID_SID', `Expected the session id of ${operation} to be a string, got ${describe(sid, true)}`));
    }
    return undefined;
  }

  /** Whether the sid column can hold this id exactly (drivers would mangle NUL and lone surrogates). */
  #storable(sid: string): boolean {
    return sid.length > 0 && sid.length <= this.#model.maxSidLength && !sid.includes('\u0000') && sid.isWellFormed();
  }

  /**
   * Counts an operation in flight (for close()), makes sure the table exists first, and bounds it
   * by operationTimeout. A prune, which may take many batches, is bounded batch by batch instead.
   */
  #track<T>(operation: string, run: (deadline: Deadline) => Promise<T>, bounded = true): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosedError(operation));
    this.#inFlight++;
    const work = (deadline: Deadline) => (this.#isReady ? run(deadline) : this.#whenReady().then(() => run(deadline)));
    const settled = bounded ? this.#deadline(operation, work) : work(UNBOUNDED);
    return settled.finally(() => {
      if (--this.#inFlight === 0 && this.#drain !== undefined) this.#drained();
    });
  }

  /**
   * Settles close() on the next turn of the event loop, once the callers of the last operations
   * (their awaits and callbacks, a microtask or two behind) have been handed their results.
   */
  #drained(): void {
    setImmediate(() => {
      if (this.#inFlight === 0) this.#drain?.resolve();
    });
  }

  /**
   * Settles with the work or at operationTimeout, whichever comes first; a late result is dropped.
   * The work's statements see the deadline pass before the caller hears of it: one not yet sent
   * is then never sent.
   */
  #deadline<T>(operation: string, run: (deadline: Deadline) => Promise<T>): Promise<T> {
    const timeout = this.#options.operationTimeout;
    const deadline = new Deadline();
    return new Promise<T>((resolve, reject) => {
      const work = run(deadline);
      const timer = setTimeout(() => {
        deadline.expire();
        reject(new DatabaseError('ERR_TIMEOUT', `Session store ${operation} did not finish within operationTimeout (${timeout} ms)`, { transient: true }));
      }, timeout);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #whenReady(): Promise<void> {
    // Bounded like any operation: a creation lost to a frozen connection must not hold every later
    // operation (and close()) for good; the one left hanging is abandoned.
    const ready = (this.#ready ??= this.#deadline('sync', (deadline) => this.#prepare(deadline)).catch((error: unknown) => {
      // Not cached: the database may not be up yet, and the next operation tries again.
      if (this.#ready === ready) this.#ready = undefined;
      throw error;
    }));
    return ready;
  }

  /** Runs a statement; no async frame on the way (the hot path): a failure goes to #retry. */
  #query(operation: string, sql: string, bind: unknown[], shape: Shape, deadline: Deadline, attempt = 1): Promise<unknown> {
    return this.#exec.run(sql, bind, shape, deadline).catch((error: unknown) => this.#retry(operation, sql, bind, shape, deadline, attempt, error));
  }

  async #retry(operation: string, sql: string, bind: unknown[], shape: Shape, deadline: Deadline, attempt: number, error: unknown): Promise<unknown> {
    // Past the deadline the caller has its timeout already; nothing more is tried.
    if (deadline.expired) throw error;
    // Every statement is idempotent, so one that lost a deadlock or met a busy database runs again.
    if (attempt < this.#maxAttempts && isRetryable(error)) {
      await sleep(attempt * (5 + Math.random() * 20));
      return this.#query(operation, sql, bind, shape, deadline, attempt + 1);
    }
    throw toDatabaseError(operation, error, bind);
  }

  #toSession(row: Row, key: string): SessionData | null {
    let session: Record<string, unknown> | undefined;
    try {
      session = this.#codec.decode(row.s, key);
    } catch {
      this.#report(new CorruptSessionError('ERR_CORRUPT_SESSION', 'A stored session could not be decoded; it is treated as missing'), 'get');
      return null;
    }
    if (session === undefined) return null;
    const cookie = session.cookie as { expires?: unknown } | undefined;
    // After a touch the row's expiry is newer than the stored cookie's; a browser-session cookie has none.
    if (cookie && hasExpires(session)) cookie.expires = new Date(toMs(row.e)).toISOString();
    return session as unknown as SessionData;
  }

  /** Appends the `expiration.absolute` cutoff to `bind` when there is one (no array spread per call otherwise). */
  #young(bind: unknown[], now: number): unknown[] {
    if (this.#cutoff !== undefined) bind.push(this.#cutoff(now));
    return bind;
  }

  #remember(key: string, expire: number): void {
    if (this.#known.size >= MAX_KNOWN_EXPIRIES) this.#known.clear();
    this.#known.set(key, expire);
  }

  #forgetAll(): void {
    this.#gets.clear();
    this.#known.clear();
  }

  /**
   * Background failures and undecodable rows go to the debug channel, and to the `error` event
   * when someone listens (an EventEmitter throws an `error` nobody listens to); never thrown.
   */
  #report(error: unknown, operation: string): void {
    const code = error instanceof SessionStoreError ? error.code : (error as { name?: string })?.name;
    debug('%s: %s %s', operation, code, error instanceof SessionStoreError ? error.message : '');
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
