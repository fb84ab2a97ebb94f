/**
 * The express-session store: the SPEC's methods, orchestrating the modules that do the work.
 * Each operation is one statement with its values (statements.ts), run by the lifecycle
 * (lifecycle.ts: readiness, deadline, retries, close); this file holds the request path around
 * them: input checks, coalescing of concurrent reads and touches, the touch window, reporting.
 */
import { AsyncResource } from 'node:async_hooks';
import createDebug from 'debug';
import { Store } from 'express-session';
import type { SessionData } from 'express-session';
import { settle, type Callback } from './callback.js';
import { createCodec, type Codec, type Row } from './codec.js';
import { createSealer, sidHasher, type SidKey } from './crypto.js';
import { dialectFor, type Dialect } from './dialects/index.js';
import { ConfigurationError, InvalidInputError, SessionStoreError, StoreClosedError, describe } from './errors.js';
import { createExecution, type Deadline, type Shape } from './execution.js';
import { expiryOf, KnownExpiries, toMs } from './expiry.js';
import { extrasOf } from './extras.js';
import { Lifecycle } from './lifecycle.js';
import { resolveModel, type SessionModel } from './model.js';
import { resolveOptions, type ResolvedOptions, type SequelizeSessionStoreOptions, type SessionModelStatic } from './options.js';
import { Pruner } from './pruner.js';
import { compat, type ModelLike, type SequelizeCompat } from './sequelize-compat.js';
import { buildStatements, type Statement, type Statements } from './statements.js';
import { syncTable } from './table.js';

const debug = createDebug('sequelize-session-store');
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
  readonly #life: Lifecycle;
  // Replaced once, when the table turns out to exist with another layout (SPEC §2.5).
  #model!: SessionModel;
  #sql!: Statements;
  #codec!: Codec;
  /** Without a model of the user's: the table's columns are still to be read, before the first operation. */
  #adopting: boolean;
  readonly #pruner: Pruner;
  /** The sid column's key for a session id: the id, or its digest with `hashSids`. */
  readonly #key: SidKey;
  /** In-flight reads by key: concurrent gets of one session share a query. */
  readonly #gets = new Map<string, Promise<Row | undefined>>();
  /** In-flight touches by key, with the expiry they write. */
  readonly #touches = new Map<string, { expire: number; promise: Promise<void> }>();
  readonly #known = new KnownExpiries();
  /**
   * Runs work in the async context the store was constructed in: the table is created outside the
   * (CLS) transaction of whichever request comes first, which v7 would otherwise join in part.
   */
  readonly #outsideRequests = AsyncResource.bind(<T>(run: () => Promise<T>): Promise<T> => run());

  constructor(options: SequelizeSessionStoreOptions<M>) {
    super();
    this.#options = resolveOptions(options);
    const { sequelize } = this.#options;
    this.#compat = compat(sequelize);
    const dialect = dialectFor(this.#compat.dialect);
    if (!dialect) {
      throw new ConfigurationError('ERR_INVALID_SEQUELIZE', `Dialect ${describe(this.#compat.rawDialect)} is not supported: the store needs a single-statement upsert`);
    }
    this.#dialect = dialect;
    this.#install(resolveModel(sequelize, this.#compat, dialect, this.#options));
    this.#key = sidHasher(this.#options.hashSids) ?? ((sid) => sid);
    // The default table is this store's own; a table named in the options may be another store's.
    this.#adopting = this.#options.model === undefined && this.#options.shared;
    const exec = createExecution(sequelize, this.#compat.dialect, this.#compat.pool, this.#compat.queryOptions, this.#compat.pinned);
    // Readiness also asks a MySQL/MariaDB server whether it is a Galera node.
    const ready = !this.#options.createTable && !this.#adopting && dialect.causalReads === undefined;
    this.#life = new Lifecycle(exec, this.#options.operationTimeout, ready, (deadline) => this.#prepare(deadline));
    this.#pruner = new Pruner({
      interval: this.#options.pruneInterval,
      firstBatch: this.#sql.pruneBatchSize,
      batch: (now, limit) => this.#life.deadline('prune', (deadline) => this.#life.query('prune', this.#sql.prune(now, limit), COUNT, deadline)) as Promise<number>,
      schedule: (prune) => this.#life.track('prune', prune, false),
      closed: () => this.#life.closed,
      onError: (error) => this.#report(error, 'prune'),
    });
    this.#pruner.start();
  }

  /** Builds the statements and the codec of a model: at construction, and again for an adopted table. */
  #install(model: SessionModel): void {
    this.#model = model;
    this.#sql = buildStatements(this.#dialect, model, this.#compat.quoteIdentifier, this.#options.absolute);
    const json = model.shape.sessKind === 'json';
    this.#codec = createCodec({
      serializer: json ? JSON : this.#options.serializer,
      json,
      maxBytes: this.#options.maxSessionBytes,
      marker: json ? this.#dialect.jsonMarker : model.shape.textMarker,
      sealer: createSealer(this.#options.encryption),
      corrupt: (error) => this.#report(error, 'get'),
    });
  }

  /** The Sequelize model holding the sessions: yours, with its type, or the created one (until the first operation, the one created for a missing table). */
  get model(): M {
    return this.#model.model as M;
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
    const all = this.#life.track('all', async (deadline) => {
      const rows = (await this.#life.query('all', this.#sql.all(Date.now()), ROWS, deadline)) as Row[];
      const sessions: Record<string, SessionData> = {};
      for (const row of rows) {
        const key = Buffer.isBuffer(row.k) ? row.k.toString('utf8') : String(row.k);
        const session = this.#codec.session(row, key);
        if (session !== null) sessions[key] = session;
      }
      return sessions;
    });
    return settle(all, callback);
  }

  override length(callback?: Callback<number>): Promise<number> {
    const rows = this.#life.track('length', (deadline) => this.#life.query('length', this.#sql.length(Date.now()), ROWS, deadline));
    return settle(rows.then((found) => Number((found as Array<{ n: unknown }>)[0]?.n ?? 0)), callback);
  }

  override clear(callback?: Callback<void>): Promise<void> {
    return settle(this.#write('clear', () => this.#sql.clear()).then(() => undefined), callback);
  }

  /** Prunes expired sessions now; resolves to how many rows were removed. */
  cleanExpired(callback?: Callback<number>): Promise<number> {
    return settle(this.#life.track('cleanExpired', () => this.#pruner.prune(), false), callback);
  }

  /**
   * Removes every session whose extra columns match `where` (for example `{ userId: 42 }`), except
   * the one whose id is `except`: "sign out everywhere else". Resolves to how many were removed.
   */
  destroyWhere(where: Record<string, unknown>, options?: { except?: string }, callback?: Callback<number>): Promise<number>;
  destroyWhere(where: Record<string, unknown>, callback?: Callback<number>): Promise<number>;
  destroyWhere(where: Record<string, unknown>, options?: { except?: string } | Callback<number>, callback?: Callback<number>): Promise<number> {
    const given = typeof options === 'function' ? {} : (options ?? {});
    const done = typeof options === 'function' ? options : callback;
    return settle(this.#write('destroyWhere', () => this.#sql.destroyWhere(where, given, Date.now(), this.#key)), done);
  }

  /** Creates the table and the index on `expire` if missing; idempotent. */
  sync(callback?: Callback<void>): Promise<void> {
    // Before the first operation, making the table ready is the sync itself, unless readiness
    // only reads the table (an adopted one with createTable off).
    const again = this.#life.ready || !this.#options.createTable;
    return settle(this.#life.track('sync', () => (again ? this.#sync(true) : Promise.resolve())), callback);
  }

  /** Stops the prune timer and waits for operations in flight. The Sequelize instance stays open. */
  close(callback?: Callback<void>): Promise<void> {
    this.#pruner.stop();
    return settle(this.#life.close(), callback);
  }

  // ---- request path ----

  #get(sid: string): Promise<SessionData | null> {
    const problem = this.#check('get', sid);
    if (problem) return problem;
    // The statements, the codec and the longest sid depend on the table, read before the first operation.
    if (this.#adopting) return this.#life.track('get', () => this.#get(sid));
    // A sid the table could not hold was never stored.
    if (!this.#storable(sid)) return Promise.resolve(null);
    const key = this.#key(sid);
    let row = this.#gets.get(key);
    if (row === undefined) {
      row = this.#life.track('get', async (deadline) => {
        const [found] = (await this.#life.query('get', this.#sql.get(key, Date.now()), ROWS, deadline)) as Row[];
        if (found !== undefined && this.#options.touchAfter > 0) this.#known.remember(key, toMs(found.e));
        return found;
      });
      this.#gets.set(key, row);
      // Only this exact query leaves the map: a write may have replaced it with a newer one meanwhile.
      const forget = () => {
        if (this.#gets.get(key) === row) this.#gets.delete(key);
      };
      row.then(forget, forget);
    }
    // Each caller decodes its own copy: express-session mutates the session it is given.
    return row.then((found) => (found === undefined ? null : this.#codec.session(found, key)));
  }

  #set(sid: string, session: SessionData): Promise<void> {
    const problem = this.#check('set', sid);
    if (problem) return problem;
    if (this.#adopting) return this.#life.track('set', () => this.#set(sid, session));
    const now = Date.now();
    let expire: number, key: string, statement: Statement;
    try {
      if (!this.#storable(sid)) {
        throw new InvalidInputError('ERR_INVALID_SID', `A session id must be a non-empty, well-formed string of at most ${this.#model.maxSidLength} characters without NUL`);
      }
      if (typeof session !== 'object' || session === null) {
        throw new InvalidInputError('ERR_INVALID_SESSION', `Expected the session to be an object, got ${describe(session)}`);
      }
      key = this.#key(sid);
      const encoded = this.#codec.encode(session, key);
      expire = expiryOf(session, now, this.#options.life);
      statement = this.#sql.set(key, encoded, expire, now, extrasOf(this.#options.extras, sid, session));
    } catch (error) {
      return Promise.reject(error);
    }
    this.#gets.delete(key);
    return this.#life.track('set', async (deadline) => {
      const changed = (await this.#life.query('set', statement, COUNT, deadline)) as number;
      // An upsert a destroy marker held off (or that found the same values) leaves the row as it was.
      if (this.#options.touchAfter > 0) this.#known.wrote(key, expire, changed > 0);
    });
  }

  #touch(sid: string, session: SessionData): Promise<void> {
    const problem = this.#check('touch', sid);
    if (problem) return problem;
    if (this.#adopting) return this.#life.track('touch', () => this.#touch(sid, session));
    if (this.#options.disableTouch || !this.#storable(sid)) return Promise.resolve();
    if (typeof session !== 'object' || session === null) {
      return Promise.reject(new InvalidInputError('ERR_INVALID_SESSION', `Expected the session to be an object, got ${describe(session)}`));
    }
    const now = Date.now();
    const expire = expiryOf(session, now, this.#options.life);
    const { touchAfter } = this.#options;
    const key = this.#key(sid);
    if (touchAfter > 0 && this.#known.skips(key, expire, touchAfter)) return Promise.resolve();
    const running = this.#touches.get(key);
    // A running touch stands in only for one that would move the expiry no further: never for an earlier one.
    if (running !== undefined && (expire === running.expire || (expire > running.expire && expire - running.expire < touchAfter))) {
      return running.promise;
    }
    this.#gets.delete(key);
    const statement = this.#sql.touch(key, expire, now, touchAfter);
    const promise = this.#life.track('touch', async (deadline) => {
      const changed = (await this.#life.query('touch', statement, COUNT, deadline)) as number;
      if (touchAfter > 0) this.#known.wrote(key, expire, changed > 0);
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
    if (this.#adopting) return this.#life.track('destroy', () => this.#destroy(sid));
    if (!this.#storable(sid)) return Promise.resolve();
    const key = this.#key(sid);
    this.#gets.delete(key);
    this.#known.forget(key);
    const statement = this.#sql.destroy(key, Date.now());
    return this.#life.track('destroy', async (deadline) => {
      await this.#life.query('destroy', statement, COUNT, deadline);
    });
  }

  /** A whole-table write (clear, destroyWhere): what this process remembers of rows is forgotten. Resolves to the rows changed. */
  #write(operation: string, build: () => Statement | undefined): Promise<number> {
    return this.#life.track(operation, async (deadline) => {
      const statement = build();
      if (statement === undefined) return 0;
      this.#gets.clear();
      this.#known.clear();
      return (await this.#life.query(operation, statement, COUNT, deadline)) as number;
    });
  }

  /**
   * Before the first operation: the table (read when it may be another store's, created when the
   * store creates it), and whether reads must wait for other nodes.
   */
  async #prepare(deadline: Deadline): Promise<void> {
    await this.#sync(this.#options.createTable);
    const causal = this.#dialect.causalReads;
    if (causal !== undefined && (await this.#life.multiPrimary(causal, deadline))) this.#sql.waitForOtherNodes(causal.causal);
  }

  #sync(create: boolean): Promise<void> {
    const adopt = this.#adopting ? (adopted: SessionModel | undefined) => this.#adopted(adopted) : undefined;
    return this.#outsideRequests(() => syncTable(this.#compat, this.#dialect, this.#options, () => this.#model, adopt, create));
  }

  /** No such table: the created model stands (and the table is made next). */
  #adopted(adopted: SessionModel | undefined): void {
    if (adopted) this.#install(adopted);
    this.#adopting = false;
  }

  /** Refuses a non-string sid and any call after close(); undefined when the call may go on. */
  #check(operation: string, sid: unknown): Promise<never> | undefined {
    if (this.#life.closed) return Promise.reject(new StoreClosedError(operation));
    if (typeof sid === 'string') return undefined;
    return Promise.reject(new InvalidInputError('ERR_INVALID_SID', `Expected the session id of ${operation} to be a string, got ${describe(sid, true)}`));
  }

  /** Whether the sid column can hold this id exactly (drivers would mangle NUL and lone surrogates). */
  #storable(sid: string): boolean {
    return sid.length > 0 && sid.length <= this.#model.maxSidLength && !sid.includes('\u0000') && sid.isWellFormed();
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
