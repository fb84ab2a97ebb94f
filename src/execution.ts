/**
 * Runs one statement of the store under its operation's deadline, on a write-side connection taken
 * from the application's own Sequelize pool. On the dialects whose driver the store knows (pg,
 * mysql2, mariadb, sqlite3) the statement goes to the driver Sequelize loaded; on every other
 * dialect, or with SEQUELIZE_SESSION_STORE_EXECUTION=query, to `sequelize.query` on that connection.
 *
 * A statement whose deadline passed before it was sent is never sent: the deadline is checked once
 * the connection is in hand, and a late connection goes straight back to the pool. A connection
 * whose statement was lost (the deadline passed while it was on the wire, or the connection broke)
 * is destroyed rather than returned, so a hung database does not keep the pool's connections.
 */
import { createHash } from 'node:crypto';
import { DatabaseError } from './errors.js';
import type { ConnectionPool, DialectName, SequelizeLike } from './sequelize-compat.js';
import { runCompiled, type SqliteDatabase } from './sqlite-statements.js';
import { inTurn } from './sqlite-turns.js';

/** What a statement returns to the store: its rows, or the number of rows it changed. */
export type Shape = 'rows' | 'count';

/** An operation's deadline, shared by the statements (and retries) it runs. */
export class Deadline {
  expired = false;
  /** Set while a statement is on the wire: what to do with its connection if the deadline passes. */
  onExpire: (() => void) | undefined = undefined;

  /** Called once, by the operation's timer, before its caller is told it failed. */
  expire(): void {
    this.expired = true;
    const lost = this.onExpire;
    this.onExpire = undefined;
    lost?.();
  }
}

export interface Execution {
  /** `driver` when statements go straight to the driver, `query` through `sequelize.query`. */
  readonly path: 'driver' | 'query';
  run(sql: string, bind: unknown[], shape: Shape, deadline: Deadline): Promise<unknown>;
}

/** The environment switch that forces `sequelize.query` (to compare, or to work around a driver). */
export const EXECUTION_SWITCH = 'SEQUELIZE_SESSION_STORE_EXECUTION';

const notSent = () =>
  new DatabaseError('ERR_TIMEOUT', 'Session store statement was not sent: its operation had timed out', { transient: true });
const lostOnTheWire = () =>
  new DatabaseError('ERR_TIMEOUT', 'Session store statement was on the wire when its operation timed out; its connection was closed', {
    transient: true,
  });

interface Logger {
  /** Sends "Executing (default): SQL" (or, with `benchmark`, "Executed …" and the time) to `logging`. */
  before(statement: Statement): number;
  after(statement: Statement, started: number): void;
}

/**
 * Statements show in the instance's `logging` as Sequelize prints its own ("Executing (default):
 * SQL", or "Executed (default): SQL" with the elapsed ms under `benchmark`), through its own
 * `log()`, and never with their parameters: `logQueryParameters` would print session ids and
 * contents, so the store's statements ignore it.
 */
function loggerOf(sequelize: SequelizeLike): Logger {
  const instance = sequelize as unknown as { options: { logging?: unknown; benchmark?: unknown }; log(...args: unknown[]): void };
  return {
    before(statement) {
      const { logging, benchmark } = instance.options;
      if (!logging) return 0;
      if (!benchmark) {
        instance.log(statement.executing);
        return 0;
      }
      return Date.now();
    },
    after(statement, started) {
      if (started !== 0 && instance.options.logging) instance.log(statement.executed, Date.now() - started);
    },
  };
}

/** A store statement in the driver's form, built once per SQL text. */
interface Statement {
  readonly text: string;
  /** The name it is prepared under on each connection, where the driver prepares statements (pg). */
  readonly name: string | undefined;
  /** For each placeholder of `text` in order, the index of its value in the store's bind; null when the bind goes as it is. */
  readonly order: readonly number[] | null;
  readonly executing: string;
  readonly executed: string;
}

/** The drivers the store talks to, each a call that sends one statement on one connection. */
interface Driver {
  /** Whether this connection is the driver the store expects (a custom `dialectModule` may not be). */
  accepts(connection: unknown): boolean;
  /** The statement's text in the driver's placeholder syntax; `order` as in {@link Statement}. */
  translate(sql: string): { text: string; order: number[] | null };
  send(connection: unknown, text: string, values: unknown[], shape: Shape, done: (error: unknown, result?: unknown) => void, name?: string): void;
  /**
   * Where statements can be prepared once per connection: whether an error says that they cannot
   * be here (a pooler in transaction mode hands each statement another server connection). The
   * statement did not run: it is sent again unprepared, and so is every later one.
   */
  unprepared?(error: unknown): boolean;
  /** Whether an error means the connection itself is gone or unusable. */
  broken(error: unknown): boolean;
  /** Closes the connection's socket now (its pool has already let go of it). */
  abort?(connection: unknown): void;
  /** Whether errors come from the driver itself, to be put in the shape Sequelize gives its own. */
  readonly raw: boolean;
}

const PLACEHOLDER = /\$(\d+)/g;

/** `$n` → `?`, in order of appearance, with the bind index of each. */
function positional(sql: string): { text: string; order: number[] | null } {
  const order: number[] = [];
  const text = sql.replace(PLACEHOLDER, (_, n: string) => {
    order.push(Number(n) - 1);
    return '?';
  });
  // The bind goes as it is when each value is used once, in order.
  return { text, order: order.every((index, i) => index === i) ? null : order };
}

interface Failing {
  code?: unknown;
  fatal?: unknown;
  message?: unknown;
}

/**
 * pg: named statements, each parsed and planned once per connection (the server then only binds and
 * runs it: a third of a write's cost). Behind a pooler in transaction mode a named statement meets
 * a server connection that does not have it, or has it already: from then on every store of that
 * Sequelize instance sends unnamed statements, which work there.
 */
const UNPREPARED = new Set([
  '26000', // prepared statement does not exist
  '42P05', // prepared statement already exists
]);

const pg: Driver = {
  raw: true,
  accepts: (connection) => typeof (connection as { query?: unknown }).query === 'function',
  // pg binds $n itself.
  translate: (sql) => ({ text: sql, order: null }),
  send(connection, text, values, shape, done, name) {
    (connection as { query(config: object, callback: (error: unknown, result: unknown) => void): void }).query(
      { text, values, name },
      (error, result) => {
        if (error) return done(error);
        const { rows, rowCount } = result as { rows: unknown[]; rowCount: number | null };
        done(undefined, shape === 'rows' ? rows : (rowCount ?? 0));
      },
    );
  },
  unprepared(error) {
    const { code, message } = (error ?? {}) as Failing;
    // 0A000 is also "cached plan must not change result type": the table was altered under it.
    return UNPREPARED.has(String(code)) || (code === '0A000' && /cached plan/.test(String(message)));
  },
  // Server errors carry an SQLSTATE; a lost socket has none. 08: connection exception; 57P0x: shutdown.
  broken(error) {
    const code = (error as Failing | undefined)?.code;
    return typeof code !== 'string' || code.startsWith('08') || code.startsWith('57P');
  },
  abort(connection) {
    (connection as { connection?: { stream?: { destroy?(): void } } }).connection?.stream?.destroy?.();
  },
};

const mysql2: Driver = {
  raw: true,
  accepts: (connection) => typeof (connection as { execute?: unknown }).execute === 'function',
  translate: positional,
  send(connection, text, values, shape, done) {
    // `execute`, as Sequelize's mysql dialect does: the same protocol, so the same types come back.
    (connection as { execute(text: string, values: unknown[], callback: (error: unknown, result: unknown) => void): void }).execute(
      text,
      values,
      (error, result) => {
        if (error) return done(error);
        done(undefined, shape === 'rows' ? result : Number((result as { affectedRows?: unknown }).affectedRows ?? 0));
      },
    );
  },
  broken: (error) => (error as Failing | undefined)?.fatal === true,
  abort: (connection) => (connection as { destroy?(): void }).destroy?.(),
};

const mariadb: Driver = {
  raw: true,
  accepts: (connection) => typeof (connection as { execute?: unknown }).execute === 'function',
  translate: positional,
  send(connection, text, values, shape, done) {
    // `execute`: prepared once per connection (the connector keeps them), then only bound and run.
    (connection as { execute(text: string, values: unknown[]): Promise<unknown> }).execute(text, values).then(
      (result) => done(undefined, shape === 'rows' ? result : Number((result as { affectedRows?: unknown }).affectedRows ?? 0)),
      done,
    );
  },
  broken: (error) => (error as Failing | undefined)?.fatal === true,
  abort: (connection) => (connection as { destroy?(): void }).destroy?.(),
};

const sqlite3: Driver = {
  raw: true,
  accepts: (connection) =>
    typeof (connection as { all?: unknown }).all === 'function' &&
    typeof (connection as { run?: unknown }).run === 'function' &&
    typeof (connection as { serialize?: unknown }).serialize === 'function' &&
    typeof (connection as { prepare?: unknown }).prepare === 'function',
  // ?NNN binds the NNN-th value wherever it appears, however often.
  translate: (sql) => ({ text: sql.replace(PLACEHOLDER, '?$1'), order: null }),
  send(connection, text, values, shape, done) {
    const db = connection as SqliteDatabase;
    // In parallel, in bursts that let the application's serialized statements (v6 shares this connection) have their turn.
    inTurn(db, (finished) =>
      runCompiled(db, text, values, shape, (error, result) => {
        finished();
        done(error, result);
      }),
    );
  },
  // In-process: the connection outlives any failed statement.
  broken: () => false,
};

const DRIVERS: Partial<Record<DialectName, Driver>> = { postgres: pg, mysql: mysql2, mariadb, sqlite: sqlite3 };

/** Past this many distinct texts (destroyWhere builds its own) the cache starts over. */
const MAX_STATEMENTS = 500;

/**
 * The name a text is prepared under: a digest of the text, so that one name means one text in
 * every process. Behind a pooler a name may meet a server connection that another process
 * prepared: with the same name it runs the same statement. Past the cap, texts go unnamed (the hot
 * ones come first; destroyWhere builds texts of its own).
 */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 128;

function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `sequelize_session_store_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    preparedNames.set(text, name);
  }
  return name;
}

/** Instances whose connections turned out not to keep prepared statements (a pooler in transaction mode). */
const unpreparedInstances = new WeakSet<object>();

/**
 * A driver's error in the shape Sequelize gives its own (the driver's error under `parent` and
 * `cause`, a Sequelize error name), so that both paths classify and word it the same way.
 */
export class DriverError extends Error {
  readonly parent: unknown;
  override readonly cause: unknown;
  readonly code: unknown;

  constructor(name: string, error: unknown) {
    const failing = error as Failing | undefined;
    super(typeof failing?.message === 'string' ? failing.message : String(error));
    this.name = name;
    this.parent = error;
    this.cause = error;
    this.code = failing?.code;
  }
}

/** The name Sequelize's own query layer would give this driver error. */
function sequelizeName(dialect: DialectName, error: unknown): string {
  const code = String((error as Failing | undefined)?.code ?? '');
  const message = String((error as Failing | undefined)?.message ?? '');
  if (code === '23505' || code === 'ER_DUP_ENTRY' || (code === 'SQLITE_CONSTRAINT' && /UNIQUE/.test(message))) return 'SequelizeUniqueConstraintError';
  if (code === '23503' || code.startsWith('ER_NO_REFERENCED_ROW') || code.startsWith('ER_ROW_IS_REFERENCED')) return 'SequelizeForeignKeyConstraintError';
  if (dialect === 'sqlite' && code === 'SQLITE_BUSY') return 'SequelizeTimeoutError';
  if (code === 'ECONNREFUSED') return 'SequelizeConnectionRefusedError';
  return 'SequelizeDatabaseError';
}

/** SELECT returns the rows; BULKUPDATE makes every dialect of both majors report a write's changed rows as a number. */
const QUERY_TYPES: Record<Shape, string> = { rows: 'SELECT', count: 'BULKUPDATE' };

/** The number of rows a write changed, from whichever shape the dialect and major return it in. */
function affectedRows(result: unknown): number {
  if (typeof result === 'number') return result;
  if (Array.isArray(result)) {
    const [first, meta] = result as [Record<string, unknown> | undefined, unknown];
    if (typeof meta === 'number') return meta;
    const from = (value: unknown) => {
      const record = value as Record<string, unknown> | null | undefined;
      for (const key of ['changes', 'affectedRows', 'rowCount']) if (typeof record?.[key] === 'number') return record[key] as number;
      return undefined;
    };
    return from(meta) ?? from(first) ?? 0;
  }
  return 0;
}

const CONNECTION_ERRORS = /^Sequelize(?:Connection\w*|HostN\w+|AccessDenied|InvalidConnection)Error$/;

/**
 * `sequelize.query` on the connection the store took: Sequelize formats the bind for its dialect.
 * Its own logging is off for these statements: the store logs them as on the driver path.
 */
function queryDriver(
  sequelize: SequelizeLike,
  queryOptions: Readonly<Record<string, unknown>>,
  pinned: (connection: unknown) => object,
  known: Driver | undefined,
): Driver {
  const options = {
    rows: { ...queryOptions, logging: false, type: QUERY_TYPES.rows },
    count: { ...queryOptions, logging: false, type: QUERY_TYPES.count },
  };
  return {
    raw: false,
    accepts: () => true,
    translate: (sql) => ({ text: sql, order: null }),
    send(connection, text, values, shape, done) {
      sequelize.query(text, { ...options[shape], ...pinned(connection), bind: values }).then(
        (result) => done(undefined, shape === 'rows' ? result : affectedRows(result)),
        done,
      );
    },
    broken: (error) => CONNECTION_ERRORS.test(String((error as { name?: unknown } | undefined)?.name)),
    // A lost statement's socket is closed at once, as on the driver path: the pool's own destroy
    // ends the connection gracefully, which waits for the statement, however long the server holds it.
    abort: (connection) => {
      if (known?.abort !== undefined && known.accepts(connection)) known.abort(connection);
    },
  };
}

class PooledExecution implements Execution {
  #path: 'driver' | 'query';
  readonly #pool: ConnectionPool;
  #driver: Driver;
  readonly #dialect: DialectName;
  readonly #log: Logger;
  readonly #statements = new Map<string, Statement>();
  /** Used once a connection turns out not to be the expected driver's (a custom `dialectModule`). */
  readonly #fallback: () => Driver;
  #checked: boolean;
  readonly #instance: object;

  constructor(instance: object, pool: ConnectionPool, driver: Driver | undefined, dialect: DialectName, log: Logger, fallback: () => Driver) {
    this.#instance = instance;
    this.#pool = pool;
    this.#driver = driver ?? fallback();
    this.#path = driver === undefined ? 'query' : 'driver';
    this.#checked = driver === undefined;
    this.#dialect = dialect;
    this.#log = log;
    this.#fallback = fallback;
  }

  get path(): 'driver' | 'query' {
    return this.#path;
  }

  run(sql: string, bind: unknown[], shape: Shape, deadline: Deadline): Promise<unknown> {
    if (deadline.expired) return Promise.reject(notSent());
    return this.#pool.acquire().then((connection) => this.#send(connection, sql, bind, shape, deadline));
  }

  #send(connection: unknown, sql: string, bind: unknown[], shape: Shape, deadline: Deadline): Promise<unknown> {
    // A waiter whose operation timed out gives its connection straight back, unused.
    if (deadline.expired) {
      this.#pool.release(connection);
      return Promise.reject(notSent());
    }
    if (!this.#checked) {
      this.#checked = true;
      if (!this.#driver.accepts(connection)) {
        this.#driver = this.#fallback();
        this.#path = 'query';
        this.#statements.clear();
      }
    }
    const statement = this.#statement(sql);
    const values = statement.order === null ? bind : statement.order.map((index) => bind[index]);
    const driver = this.#driver;
    const pool = this.#pool;
    return new Promise((resolve, reject) => {
      let lost = false;
      // SQLite runs in this process: a statement it has started finishes, and its connection stays good.
      if (this.#dialect !== 'sqlite') {
        deadline.onExpire = () => {
          lost = true;
          pool.destroy(connection);
          driver.abort?.(connection);
        };
      }
      const started = this.#log.before(statement);
      let name = statement.name !== undefined && !unpreparedInstances.has(this.#instance) ? statement.name : undefined;
      const done = (error: unknown, result?: unknown) => {
        if (lost) return reject(lostOnTheWire());
        if (error && name !== undefined && driver.unprepared!(error)) {
          // Not run: sent again, unnamed, on the same connection, as every statement of this instance from now on.
          unpreparedInstances.add(this.#instance);
          name = undefined;
          return driver.send(connection, statement.text, values, shape, done);
        }
        deadline.onExpire = undefined;
        if (error) {
          if (driver.broken(error)) pool.destroy(connection);
          else pool.release(connection);
          return reject(driver.raw ? new DriverError(sequelizeName(this.#dialect, error), error) : error);
        }
        pool.release(connection);
        this.#log.after(statement, started);
        resolve(result);
      };
      try {
        driver.send(connection, statement.text, values, shape, done, name);
      } catch (error) {
        // A driver that refuses a value synchronously has sent nothing: its connection is intact.
        deadline.onExpire = undefined;
        pool.release(connection);
        reject(driver.raw ? new DriverError(sequelizeName(this.#dialect, error), error) : error);
      }
    });
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#statements.size >= MAX_STATEMENTS) this.#statements.clear();
      const { text, order } = this.#driver.translate(sql);
      statement = { text, order, name: this.#driver.unprepared ? preparedName(text) : undefined, executing: `Executing (default): ${text}`, executed: `Executed (default): ${text}` };
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/** The execution for this instance: the driver's where the store knows it, `sequelize.query` otherwise. */
export function createExecution(
  sequelize: SequelizeLike,
  dialect: DialectName,
  pool: ConnectionPool,
  queryOptions: Readonly<Record<string, unknown>>,
  pinned: (connection: unknown) => object,
): Execution {
  const forced = process.env[EXECUTION_SWITCH] === 'query';
  const known = DRIVERS[dialect];
  return new PooledExecution(sequelize, pool, forced ? undefined : known, dialect, loggerOf(sequelize), () =>
    queryDriver(sequelize, queryOptions, pinned, known),
  );
}
