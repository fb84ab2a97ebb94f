/**
 * The express-session store: the SPEC's methods, each orchestrating one statement. The table's
 * model, statements and codec come from table.ts, each statement with its values from
 * statements.ts; lifecycle.ts runs it (readiness, deadline, retries, close). What is left here
 * is the order of things: input checks, shared reads and touches, the touch window, reporting.
 */
import createDebug from 'debug';
import { Store } from 'express-session';
import type { SessionData } from 'express-session';
import { settle, type Callback } from './callback.js';
import type { Row } from './codec.js';
import { sidHasher, type SidKey } from './crypto.js';
import { requireDialect } from './dialects/index.js';
import { SessionStoreError } from './errors.js';
import { expiryOf, KnownExpiries, toMs } from './expiry.js';
import { createExecution, type Shape } from './execution.js';
import { extrasOf } from './extras.js';
import { InFlight } from './in-flight.js';
import { badSession, checkWrite, refused, storable } from './inputs.js';
import { Lifecycle } from './lifecycle.js';
import { MergeTracker, type Diff } from './merge.js';
import { resolveOptions, type ResolvedOptions, type SequelizeSessionStoreOptions, type SessionModelStatic } from './options.js';
import { Pruner } from './pruner.js';
import { compat, type ModelLike } from './sequelize-compat.js';
import type { Statement } from './statements.js';
import { SessionTable } from './table.js';

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
  readonly #life: Lifecycle;
  readonly #table: SessionTable;
  readonly #pruner: Pruner;
  /** The sid column's key for a session id: the id, or its digest with `hashSids`. */
  readonly #key: SidKey;
  readonly #inFlight = new InFlight<Row>();
  readonly #known = new KnownExpiries();
  /** With `merge`: what each request's session object held as read. */
  readonly #reads = new MergeTracker();

  constructor(options: SequelizeSessionStoreOptions<M>) {
    super();
    this.#options = resolveOptions(options);
    const { sequelize } = this.#options;
    const sequelizeCompat = compat(sequelize);
    const table = (this.#table = new SessionTable(sequelizeCompat, requireDialect(sequelizeCompat), this.#options, (error) => this.#report(error, 'get')));
    this.#key = sidHasher(this.#options.hashSids) ?? ((sid) => sid);
    const exec = createExecution(sequelize, sequelizeCompat.dialect, sequelizeCompat.pool, sequelizeCompat.queryOptions, sequelizeCompat.pinned);
    this.#life = new Lifecycle(exec, this.#options.operationTimeout, !table.needsPreparing, (deadline) => table.prepare(this.#life, deadline));
    this.#pruner = new Pruner({
      interval: this.#options.pruneInterval,
      firstBatch: table.sql.pruneBatchSize,
      batch: (now, limit) => this.#life.deadline('prune', (deadline) => this.#life.query('prune', table.sql.prune(now, limit), COUNT, deadline)) as Promise<number>,
      schedule: (prune) => this.#life.track('prune', prune, false),
      closed: () => this.#life.closed,
      onError: (error) => this.#report(error, 'prune'),
    });
    this.#pruner.start();
  }

  /** The Sequelize model holding the sessions: yours, with its type, or the created one (until the first operation, the one created for a missing table). */
  get model(): M {
    return this.#table.model.model as M;
  }

  /** express-session builds each request's session here from what `get` returned and saves that very object: with `merge`, the base of its diff. */
  override createSession(...args: Parameters<Store['createSession']>): ReturnType<Store['createSession']> {
    const session = super.createSession(...args);
    if (this.#table.sql.merges !== undefined) this.#reads.read(session, args[0].sessionID, args[1]);
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
    const rows = this.#life.track('all', (deadline) => this.#life.query('all', this.#table.sql.all(Date.now()), ROWS, deadline));
    return settle(rows.then((found) => this.#table.codec.sessions(found as Row[])), callback);
  }

  override length(callback?: Callback<number>): Promise<number> {
    const rows = this.#life.track('length', (deadline) => this.#life.query('length', this.#table.sql.length(Date.now()), ROWS, deadline));
    return settle(rows.then((found) => Number((found as Array<{ n: unknown }>)[0]?.n ?? 0)), callback);
  }

  override clear(callback?: Callback<void>): Promise<void> {
    return settle(this.#write('clear', () => this.#table.sql.clear()).then(() => undefined), callback);
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
    return settle(this.#write('destroyWhere', () => this.#table.sql.destroyWhere(where, given, Date.now(), this.#key)), done);
  }

  /** Creates the table and the index on `expire` if missing; idempotent. */
  sync(callback?: Callback<void>): Promise<void> {
    // Before the first operation, making the table ready is the sync itself, unless readiness
    // only reads the table (an adopted one with createTable off).
    const again = this.#life.ready || !this.#options.createTable;
    return settle(this.#life.track('sync', () => (again ? this.#table.sync(true) : Promise.resolve())), callback);
  }

  /** Stops the prune timer and waits for operations in flight. The Sequelize instance stays open. */
  close(callback?: Callback<void>): Promise<void> {
    this.#pruner.stop();
    return settle(this.#life.close(), callback);
  }

  // ---- request path ----

  #get(sid: string): Promise<SessionData | null> {
    const problem = refused('get', sid, this.#life.closed);
    if (problem) return problem;
    // The statements, the codec and the longest sid depend on the table, read before the first operation.
    if (this.#table.adopting) return this.#life.track('get', () => this.#get(sid));
    // A sid the table could not hold was never stored.
    if (!storable(sid, this.#table.model.maxSidLength)) return Promise.resolve(null);
    const key = this.#key(sid);
    const row =
      this.#inFlight.read(key) ??
      this.#inFlight.reading(key, this.#life.track('get', async (deadline) => {
        const [found] = (await this.#life.query('get', this.#table.sql.get(key, Date.now()), ROWS, deadline)) as Row[];
        if (found !== undefined && this.#options.touchAfter > 0) this.#known.remember(key, toMs(found.e));
        return found;
      }));
    // Each caller decodes its own copy: express-session mutates the session it is given.
    if (this.#table.sql.merges === undefined) return row.then((found) => (found === undefined ? null : this.#table.codec.session(found, key)));
    return row.then((found) => {
      if (found === undefined) return null;
      const session = this.#table.codec.session(found, key);
      if (session !== null && typeof found.s === 'string') this.#reads.fetched(session, found.s);
      return session;
    });
  }

  #set(sid: string, session: SessionData): Promise<void> {
    const problem = refused('set', sid, this.#life.closed);
    if (problem) return problem;
    if (this.#table.adopting) return this.#life.track('set', () => this.#set(sid, session));
    const now = Date.now();
    let expire: number, key: string, statement: Statement, diff: Diff | undefined;
    try {
      checkWrite(sid, session, this.#table.model.maxSidLength);
      key = this.#key(sid);
      // A session that cannot be serialized: no diff, and encode refuses it as without merge.
      diff = this.#table.sql.merges === undefined ? undefined : this.#diff(session, sid);
      const encoded = this.#table.codec.encode(session, key, diff?.text);
      expire = expiryOf(session, now, this.#options.life);
      statement = this.#table.sql.set(key, encoded, expire, now, extrasOf(this.#options.extras, sid, session), diff);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#inFlight.writing(key);
    return this.#life.track('set', async (deadline) => {
      const changed = (await this.#life.query('set', statement, COUNT, deadline)) as number;
      if (diff) this.#reads.wrote(session, diff);
      // An upsert a destroy marker held off (or that found the same values) leaves the row as it was.
      if (this.#options.touchAfter > 0) this.#known.wrote(key, expire, changed > 0);
    });
  }

  #diff(session: SessionData, sid: string): Diff | undefined {
    try {
      return this.#table.sql.merges === 'read' ? this.#reads.sinceRead(session, sid) : this.#reads.diff(session, sid);
    } catch {
      return undefined;
    }
  }

  #touch(sid: string, session: SessionData): Promise<void> {
    const problem = refused('touch', sid, this.#life.closed);
    if (problem) return problem;
    if (this.#table.adopting) return this.#life.track('touch', () => this.#touch(sid, session));
    if (this.#options.disableTouch || !storable(sid, this.#table.model.maxSidLength)) return Promise.resolve();
    const bad = badSession(session);
    if (bad) return Promise.reject(bad);
    const now = Date.now();
    const expire = expiryOf(session, now, this.#options.life);
    const { touchAfter } = this.#options;
    const key = this.#key(sid);
    if (touchAfter > 0 && this.#known.skips(key, expire, touchAfter)) return Promise.resolve();
    const running = this.#inFlight.touch(key, expire, touchAfter);
    if (running !== undefined) return running;
    this.#inFlight.writing(key);
    const statement = this.#table.sql.touch(key, expire, now, touchAfter);
    const touch = this.#life.track('touch', async (deadline) => {
      const changed = (await this.#life.query('touch', statement, COUNT, deadline)) as number;
      if (touchAfter > 0) this.#known.wrote(key, expire, changed > 0);
    });
    return this.#inFlight.touching(key, expire, touch);
  }

  #destroy(sid: string): Promise<void> {
    const problem = refused('destroy', sid, this.#life.closed);
    if (problem) return problem;
    if (this.#table.adopting) return this.#life.track('destroy', () => this.#destroy(sid));
    if (!storable(sid, this.#table.model.maxSidLength)) return Promise.resolve();
    const key = this.#key(sid);
    this.#inFlight.writing(key);
    this.#known.forget(key);
    const statement = this.#table.sql.destroy(key, Date.now());
    return this.#life.track('destroy', async (deadline) => {
      await this.#life.query('destroy', statement, COUNT, deadline);
    });
  }

  /** A whole-table write (clear, destroyWhere): what this process remembers of rows is forgotten. Resolves to the rows changed. */
  #write(operation: string, build: () => Statement | undefined): Promise<number> {
    return this.#life.track(operation, async (deadline) => {
      const statement = build();
      if (statement === undefined) return 0;
      this.#inFlight.writingAll();
      this.#known.clear();
      return (await this.#life.query(operation, statement, COUNT, deadline)) as number;
    });
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
