// Faults on a real connection, the same whichever execution path the store takes: the driver
// connections that Sequelize's pool lends have their statement call wrapped (pg `query`, mysql2
// and mariadb `execute` and `query`, sqlite3 `all`/`run`, also of its prepared statements), so a statement on a chosen table can fail with
// the driver's own error or be held back, and the pool's acquire can be slowed or refused.
import type { Target } from './targets.js';

/** What to do with one statement: undefined lets it through at once. */
export type Verdict = { fail: Error } | { delay: number } | undefined;

const WRAPPED = Symbol('intercepted');

/** What a callback-style call returns in place of the driver's query object (Sequelize's mysql calls setMaxListeners on it). */
const PENDING = { setMaxListeners: () => PENDING };

const METHODS: Record<Target['dialect'], string[]> = {
  postgres: ['query'],
  mysql: ['execute', 'query'],
  mariadb: ['execute', 'query'],
  sqlite: ['all', 'run'],
};

/** PostgreSQL refusing a named statement behind a pooler in transaction mode: it did not run, and the store sends it again unnamed. */
const UNPREPARED = new Set(['26000', '42P05']);

function wrapConnection(target: Target, connection: any, decide: (sql: string) => Verdict, unprepared?: () => void): void {
  if (connection[WRAPPED]) {
    connection[WRAPPED].decide = decide;
    connection[WRAPPED].unprepared = unprepared;
    return;
  }
  const state: State = { decide, unprepared };
  connection[WRAPPED] = state;
  for (const method of METHODS[target.dialect]) {
    const original = connection[method];
    if (typeof original !== 'function') continue;
    connection[method] = function (this: unknown, ...args: any[]) {
      const sql = typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? args[0]?.sql ?? '');
      return intercepted(state, original, this, String(sql), args);
    };
  }
  // sqlite3 statements the store keeps compiled: their calls carry no text, the statement does.
  if (target.dialect === 'sqlite' && typeof connection.prepare === 'function') {
    const prepare = connection.prepare;
    connection.prepare = function (this: unknown, sql: string, ...rest: unknown[]) {
      const statement = prepare.call(this, sql, ...rest);
      for (const method of ['all', 'run']) {
        const original = statement[method];
        statement[method] = function (this: unknown, ...args: any[]) {
          return intercepted(state, original, this, String(sql), args);
        };
      }
      return statement;
    };
  }
}

interface State {
  decide: (sql: string) => Verdict;
  unprepared: (() => void) | undefined;
}

/** One statement call, let through, failed or held back as `decide` says. */
function intercepted(state: State, original: (...args: any[]) => any, self: unknown, sql: string, args: any[]): unknown {
  const verdict = state.decide(sql);
  const callback = typeof args.at(-1) === 'function' ? args.at(-1) : undefined;
  if (verdict === undefined) {
    if (callback && state.unprepared) {
      args[args.length - 1] = function (this: unknown, error: any, ...rest: unknown[]) {
        if (UNPREPARED.has(String(error?.code))) state.unprepared?.();
        return callback.call(this, error, ...rest);
      };
    }
    return original.apply(self, args);
  }
  if ('fail' in verdict) {
    if (callback) {
      setImmediate(() => callback.call({ changes: 0 }, verdict.fail));
      return PENDING;
    }
    return Promise.reject(verdict.fail);
  }
  if (callback) {
    setTimeout(() => original.apply(self, args), verdict.delay);
    return PENDING;
  }
  return new Promise((resolve) => setTimeout(resolve, verdict.delay)).then(() => original.apply(self, args));
}

/**
 * Wraps the statement calls of every connection `sequelize` lends from now on (and, on v6 SQLite,
 * its one shared connection). `decide` sees each statement's text; `unprepared` hears of each
 * statement the server refused as not prepared there (behind a pooler), which did not run.
 */
export function interceptStatements(target: Target, sequelize: any, decide: (sql: string) => Verdict, unprepared?: () => void): void {
  interceptAcquire(sequelize, async (connection) => wrapConnection(target, connection, decide, unprepared));
}

/**
 * Runs `after` on each connection the pool lends, through Sequelize's own pool hooks (v6 SQLite,
 * which has no pool, through its getConnection); a rejection from `before` refuses the acquire, as
 * a database that cannot be reached would.
 */
export function interceptAcquire(
  sequelize: any,
  after: (connection: unknown) => Promise<void> | void,
  before?: () => Promise<void> | void,
): void {
  const manager = sequelize.pool ? undefined : sequelize.connectionManager;
  if (manager?.connections) {
    const original = manager.getConnection.bind(manager);
    manager.getConnection = async (...args: unknown[]) => {
      await before?.();
      const connection = await original(...args);
      await after(connection);
      return connection;
    };
    return;
  }
  sequelize.addHook('afterPoolAcquire', (connection: unknown) => after(connection));
  if (before) sequelize.addHook('beforePoolAcquire', () => before());
}

/** An error shaped as the driver raises it: its code and its own words. */
export function driverError(code: string, message = `injected ${code}`): Error {
  return Object.assign(new Error(message), { code });
}
