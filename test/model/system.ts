// The real side of the model suite: for one cell, the Sequelize instances (a first one, through the
// fault proxy in fault cells, and a second one on its own pool, as another app process would be),
// a table per command sequence with a store on each instance, and what the cell does around the
// store (the app's own transactions, a small pool, global `define` options, DEBUG=*).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { format } from 'node:util';
import createDebug from 'debug';
import { MARIADB_URL, PG_URL } from '../support/servers.cjs';
import { sqliteFile, uniqueTable } from '../support/targets.js';
import { TcpProxy, within } from '../support/tcp-proxy.js';
import { SequelizeSessionStore } from '../../src/store.js';
import type { SequelizeSessionStoreOptions } from '../../src/options.js';
import { MARKER_LIFE_MS } from '../../src/statements.js';
import type { Cell } from './cells.js';
import type { ModelConfig } from './reference.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const LIFE = 2 * HOUR;
export const ABSOLUTE = 3 * HOUR;
/** operationTimeout in fault cells, and elsewhere (generous: the machine is loaded). */
export const FAULT_TIMEOUT = 800;
export const HEALTHY_TIMEOUT = 5_000;
/** Timer and event-loop slack allowed on top of operationTimeout. */
export const SLACK = 1_500;

const HMAC_SECRET = 'model-suite-hmac-secret';
const ENCRYPTION_KEY = randomBytes(32).toString('hex');

const cls = (() => {
  try {
    return (require('cls-hooked') as { createNamespace(name: string): unknown }).createNamespace('sss-model');
  } catch {
    return undefined;
  }
})();

export function modelConfig(cell: Cell): ModelConfig {
  const key =
    cell.hashSids === 'off'
      ? (sid: string) => sid
      : cell.hashSids === 'sha256'
        ? (sid: string) => createHash('sha256').update(sid).digest('hex')
        : (sid: string) => createHmac('sha256', HMAC_SECRET).update(sid).digest('hex');
  return {
    life: LIFE,
    touchAfter: cell.touchAfter,
    absolute: cell.absolute ? ABSOLUTE : undefined,
    markerLife: MARKER_LIFE_MS,
    extras: cell.extras !== 'none',
    // With encryption a merge is impossible in SQL: sets write whole (README, merge).
    merge: cell.merge && !cell.encryption,
    key,
  };
}

/** Whether the cell needs a model of its own (a sess column kind other than TEXT, or extras columns). */
export const usesOwnModel = (cell: Cell): boolean => cell.sess !== 'TEXT' || cell.extras !== 'none';

const serverPort = (cell: Cell) => Number(new URL(cell.target.dialect === 'postgres' ? PG_URL : MARIADB_URL).port);

/** What the debug channel printed (captured instead of written to stderr). */
export interface DebugLine {
  namespace: string;
  text: string;
}

export class CellSystem {
  readonly cell: Cell;
  readonly proxy: TcpProxy | undefined;
  readonly dbs: any[] = [];
  readonly debugLines: DebugLine[] = [];
  readonly operationTimeout: number;
  #storage: string | undefined;
  #restoreDebug: (() => void) | undefined;

  private constructor(cell: Cell) {
    this.cell = cell;
    this.proxy = cell.faults ? new TcpProxy(serverPort(cell)) : undefined;
    this.operationTimeout = cell.faults ? FAULT_TIMEOUT : HEALTHY_TIMEOUT;
  }

  static async open(cell: Cell): Promise<CellSystem> {
    const system = new CellSystem(cell);
    await system.#open();
    return system;
  }

  async #open(): Promise<void> {
    const { cell } = this;
    if (cell.target.major === 'v6') {
      const { Sequelize } = require('sequelize') as { Sequelize: any };
      // v6 joins a managed transaction to the queries of its callback only with CLS.
      if (cell.appTransactions && cls) Sequelize.useCLS(cls);
      else Sequelize._cls = undefined;
    }
    if (cell.debug) {
      const previousLog = createDebug.log;
      const previous = createDebug.disable();
      createDebug.enable('*');
      const lines = this.debugLines;
      createDebug.log = function (this: { namespace: string }, ...args: unknown[]) {
        lines.push({ namespace: this.namespace, text: format(...(args as [unknown])) });
      };
      this.#restoreDebug = () => {
        createDebug.log = previousLog;
        createDebug.disable();
        if (previous) createDebug.enable(previous);
      };
    }
    await this.proxy?.start();
    if (cell.target.dialect === 'sqlite') this.#storage = sqliteFile('model');
    for (let i = 0; i < 2; i++) {
      const db = cell.target.connect(this.#connectOptions(i));
      guardSequelizePool(cell, db);
      this.dbs.push(db);
    }
  }

  #connectOptions(instance: number): Record<string, unknown> {
    const { cell } = this;
    const options: Record<string, unknown> = {};
    if (this.#storage) options.storage = this.#storage;
    if (cell.target.dialect !== 'sqlite') options.timezone = cell.timezone;
    if (cell.pool === 'small') options.pool = { max: 2, min: 0 };
    if (cell.define === 'global') options.define = { underscored: true, timestamps: true, freezeTableName: true, paranoid: true };
    // Only the first instance goes through the proxy: faults cut it away, not the other app process.
    if (this.proxy && instance === 0) {
      options.host = '127.0.0.1';
      options.port = this.proxy.port;
      Object.assign(options, connectTimeout(cell, this.operationTimeout - 50));
    }
    return options;
  }

  /** The store options of this cell on `table`, for instance `instance`. */
  storeOptions(instance: number, table: string): SequelizeSessionStoreOptions {
    const { cell } = this;
    const options: SequelizeSessionStoreOptions = {
      sequelize: this.dbs[instance],
      expiration: { interval: false, life: LIFE, ...(cell.absolute ? { absolute: ABSOLUTE } : {}) },
      touchAfter: cell.touchAfter,
      operationTimeout: this.operationTimeout,
    };
    if (cell.hashSids === 'sha256') options.hashSids = true;
    if (cell.hashSids === 'hmac') options.hashSids = { secret: HMAC_SECRET };
    if (cell.encryption) options.encryption = { keys: [ENCRYPTION_KEY] };
    if (cell.merge) options.merge = true;
    if (cell.extras === 'seed') {
      options.extras = (data, session) => {
        const s = session as unknown as Record<string, unknown>;
        data.userId = s.userId ?? null;
        data.device = s.device ?? null;
      };
    } else if (cell.extras === 'returning') {
      options.extras = (_data, session) => {
        const s = session as unknown as Record<string, unknown>;
        return { userId: s.userId ?? null, device: s.device ?? null };
      };
    }
    if (usesOwnModel(cell)) {
      options.model = this.#defineModel(instance, table) as never;
      options.createTable = true;
    } else {
      options.tableName = table;
    }
    return options;
  }

  /** A user's model with `sess` of the cell's kind and the extras columns userId and device. */
  #defineModel(instance: number, table: string): unknown {
    const { cell } = this;
    const sequelize = this.dbs[instance];
    const modelName = `Model_${table}`;
    const existing = sequelize.models?.get?.(modelName) ?? sequelize.models?.[modelName];
    if (existing) return existing;
    const types = sequelize.constructor.DataTypes;
    const mysqlish = cell.target.dialect === 'mariadb' || cell.target.dialect === 'mysql';
    const sess = { TEXT: types.TEXT, STRING: types.STRING(2000), JSON: types.JSON, JSONB: types.JSONB }[cell.sess];
    const column = cell.target.major === 'v7' ? 'columnName' : 'field';
    // Without global timestamps, expiration.absolute needs a creation time column of its own.
    const timestamps = cell.define === 'global' ? {} : cell.absolute ? { timestamps: true, createdAt: 'createdAt', updatedAt: false } : { timestamps: false };
    return sequelize.define(
      modelName,
      {
        sid: { type: mysqlish ? 'VARBINARY(1020)' : types.STRING(255), primaryKey: true, allowNull: false },
        sess: { type: sess, allowNull: false },
        expire: { type: types.DATE(6), allowNull: false, [column]: 'expires_at' },
        userId: { type: types.INTEGER, allowNull: true },
        device: { type: types.STRING(64), allowNull: true },
      },
      { tableName: table, ...timestamps },
    );
  }

  newTable(): string {
    return uniqueTable('model');
  }

  /**
   * Runs `work` inside one of the app's own transactions on instance 0, which then rolls back. When
   * the app's own statements fail before `work` ran (a pooled connection that died with a fault),
   * the app tries again, as it would on a transient error; `work` runs once.
   */
  async inAppTransaction<T>(work: () => Promise<T>): Promise<T> {
    const sequelize = this.dbs[0];
    const rollback = new Error('rollback');
    for (let attempt = 1; ; attempt++) {
      let outcome: { value: T } | { error: unknown } | undefined;
      try {
        await sequelize.transaction(async () => {
          // The app does its own work in the transaction first (the CLS transaction applies).
          await sequelize.query('SELECT 1 AS one', { type: 'SELECT' });
          outcome = await work().then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          throw rollback;
        });
      } catch (error) {
        if (error !== rollback && outcome === undefined) {
          if (attempt < 3) continue;
          throw error;
        }
      }
      if (outcome === undefined) throw new Error('the transaction callback did not run');
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    }
  }

  /**
   * Cuts every connection of instance 0 (through the proxy) and lets its pool find out: a pooled
   * connection whose socket died fails the next statement sent on it (the store does not retry a
   * lost connection), so the app's next requests would see that once. A few throwaway queries
   * meet the dead connections instead.
   */
  async cutConnections(): Promise<void> {
    if (!this.proxy) return;
    this.proxy.resume();
    await this.proxy.stop();
    await this.proxy.start();
    const db = this.dbs[0];
    const size = this.cell.pool === 'small' ? 2 : 5;
    for (let round = 0; round < 2; round++) {
      await Promise.allSettled(Array.from({ length: size }, () => db.query('SELECT 1 AS one', { type: 'SELECT', transaction: null })));
    }
  }

  async dropTable(table: string): Promise<void> {
    const sequelize = this.dbs[1];
    const generator = sequelize.queryGenerator ?? sequelize.getQueryInterface().queryGenerator;
    await sequelize.query(`DROP TABLE IF EXISTS ${generator.quoteTable(table)}`, { logging: false });
  }

  async close(): Promise<void> {
    await this.proxy?.stop();
    for (const db of this.dbs) await within(db.close(), 10_000);
    this.#restoreDebug?.();
  }
}

/**
 * The known Sequelize v7 PostgreSQL bug (README, "Known upstream issue"): when a connection dies,
 * its error handler calls pool.destroy() without handling the rejection "Unable to determine to
 * which pool the connection belongs". Guarded the way the README tells applications to.
 */
function guardSequelizePool(cell: Cell, sequelize: any): void {
  const pool = sequelize.pool;
  if (cell.target.major !== 'v7' || cell.target.dialect !== 'postgres' || typeof pool?.destroy !== 'function') return;
  const destroy = pool.destroy.bind(pool);
  pool.destroy = (connection: unknown) =>
    Promise.resolve()
      .then(() => destroy(connection))
      .catch((error: unknown) => {
        if ((error as Error)?.message !== 'Unable to determine to which pool the connection belongs') throw error;
      });
}

/**
 * A connection attempt that hangs (the network froze during its handshake) keeps its place in
 * Sequelize's pool, and later requests wait for it: fault cells give the driver a connect timeout
 * shorter than operationTimeout, as the README advises.
 */
function connectTimeout(cell: Cell, ms: number): Record<string, unknown> {
  const option = cell.target.dialect === 'postgres' ? { connectionTimeoutMillis: ms } : { connectTimeout: ms };
  return cell.target.major === 'v6' ? { dialectOptions: option } : option;
}

/** A new store; every error it emits is recorded. */
export function openStore(options: SequelizeSessionStoreOptions, errors: unknown[]): SequelizeSessionStore {
  const store = new SequelizeSessionStore(options);
  store.on('error', (error: unknown) => errors.push(error));
  return store;
}
