/**
 * The raw driver floor: an express-session Store that sends exactly one hand-written statement per
 * operation straight through `pg`, `mariadb` or `sqlite3`, on a table shaped like this store's
 * default one (same column types, index on expire). Ratios are taken against it.
 */
import session, { type SessionData } from 'express-session';
import { DATABASE, MARIADB, PG, POOL_SIZE, sqliteFile, type Db } from '../lib/config.js';
import type { Contender, Opened, OpenOptions } from './types.js';

type Cb<T = void> = (error?: unknown, value?: T) => void;
const DAY = 86_400_000;

function expiryOf(sess: SessionData): number {
  const expires = (sess.cookie as { expires?: unknown } | undefined)?.expires;
  const time = expires instanceof Date ? expires.getTime() : expires ? new Date(expires as string).getTime() : Number.NaN;
  return Number.isNaN(time) ? Date.now() + DAY : time;
}

/** The four statements, as functions of the driver: each returns the rows (get) or nothing. */
interface Driver {
  get(sid: string): Promise<string | undefined>;
  set(sid: string, sess: string, expire: number): Promise<void>;
  touch(sid: string, expire: number): Promise<void>;
  destroy(sid: string): Promise<void>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

class RawStore extends session.Store {
  constructor(private readonly driver: Driver) {
    super();
  }
  override get(sid: string, cb: Cb<SessionData | null>): void {
    this.driver.get(sid).then((sess) => cb(null, sess === undefined ? null : JSON.parse(sess)), cb);
  }
  override set(sid: string, sess: SessionData, cb?: Cb): void {
    this.driver.set(sid, JSON.stringify(sess), expiryOf(sess)).then(() => cb?.(), (e) => cb?.(e));
  }
  override touch(sid: string, sess: SessionData, cb?: Cb): void {
    this.driver.touch(sid, expiryOf(sess)).then(() => cb?.(), (e) => cb?.(e));
  }
  override destroy(sid: string, cb?: Cb): void {
    this.driver.destroy(sid).then(() => cb?.(), (e) => cb?.(e));
  }
}

async function postgres(table: string): Promise<Driver> {
  const { Pool } = await import('pg');
  const pool = new Pool({ ...PG, database: DATABASE, max: POOL_SIZE });
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (sid VARCHAR(255) NOT NULL PRIMARY KEY, sess TEXT NOT NULL, expire TIMESTAMPTZ(6) NOT NULL)`);
  await pool.query(`CREATE INDEX IF NOT EXISTS ${table}_expire ON ${table} (expire)`);
  const iso = (ms: number) => new Date(ms).toISOString();
  const sql = {
    get: `SELECT sess FROM ${table} WHERE sid = $1 AND expire > now()`,
    set: `INSERT INTO ${table} (sid, sess, expire) VALUES ($1, $2, $3) ON CONFLICT (sid) DO UPDATE SET sess = EXCLUDED.sess, expire = EXCLUDED.expire`,
    touch: `UPDATE ${table} SET expire = $1 WHERE sid = $2`,
    destroy: `DELETE FROM ${table} WHERE sid = $1`,
  };
  return {
    get: async (sid) => (await pool.query(sql.get, [sid])).rows[0]?.sess,
    set: async (sid, sess, expire) => void (await pool.query(sql.set, [sid, sess, iso(expire)])),
    touch: async (sid, expire) => void (await pool.query(sql.touch, [iso(expire), sid])),
    destroy: async (sid) => void (await pool.query(sql.destroy, [sid])),
    clear: async () => void (await pool.query(`TRUNCATE ${table}`)),
    close: () => pool.end(),
  };
}

async function mariadb(table: string): Promise<Driver> {
  const driver = await import('mariadb');
  const pool = driver.createPool({ ...MARIADB, database: DATABASE, connectionLimit: POOL_SIZE });
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (sid VARBINARY(1020) NOT NULL PRIMARY KEY, sess LONGTEXT NOT NULL, ` +
      `expire DATETIME(6) NOT NULL, INDEX ${table}_expire (expire))`,
  );
  const sql = {
    get: `SELECT sess FROM ${table} WHERE sid = ? AND expire > NOW(6)`,
    set: `INSERT INTO ${table} (sid, sess, expire) VALUES (?, ?, FROM_UNIXTIME(? / 1000)) ON DUPLICATE KEY UPDATE sess = VALUES(sess), expire = VALUES(expire)`,
    touch: `UPDATE ${table} SET expire = FROM_UNIXTIME(? / 1000) WHERE sid = ?`,
    destroy: `DELETE FROM ${table} WHERE sid = ?`,
  };
  return {
    get: async (sid) => (await pool.query(sql.get, [sid]))[0]?.sess,
    set: async (sid, sess, expire) => void (await pool.query(sql.set, [sid, sess, expire])),
    touch: async (sid, expire) => void (await pool.query(sql.touch, [expire, sid])),
    destroy: async (sid) => void (await pool.query(sql.destroy, [sid])),
    clear: async () => void (await pool.query(`TRUNCATE TABLE ${table}`)),
    close: () => pool.end(),
  };
}

async function sqlite(table: string): Promise<Driver> {
  const sqlite3 = (await import('sqlite3')).default;
  const db = await new Promise<import('sqlite3').Database>((resolve, reject) => {
    const opened: import('sqlite3').Database = new sqlite3.Database(sqliteFile(table), (error) => (error ? reject(error) : resolve(opened)));
  });
  const run = (text: string, params: unknown[] = []) =>
    new Promise<void>((resolve, reject) => db.run(text, params, (error) => (error ? reject(error) : resolve())));
  await run('PRAGMA journal_mode=WAL');
  await run(`CREATE TABLE IF NOT EXISTS ${table} (sid VARCHAR(255) NOT NULL PRIMARY KEY, sess TEXT NOT NULL, expire DATETIME NOT NULL)`);
  await run(`CREATE INDEX IF NOT EXISTS ${table}_expire ON ${table} (expire)`);
  // The text form Sequelize writes dates in on SQLite, as this store binds them.
  const text = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ' +00:00');
  const sql = {
    get: `SELECT sess FROM ${table} WHERE sid = ? AND expire > ?`,
    set: `INSERT INTO ${table} (sid, sess, expire) VALUES (?, ?, ?) ON CONFLICT (sid) DO UPDATE SET sess = excluded.sess, expire = excluded.expire`,
    touch: `UPDATE ${table} SET expire = ? WHERE sid = ?`,
    destroy: `DELETE FROM ${table} WHERE sid = ?`,
  };
  return {
    get: (sid) =>
      new Promise((resolve, reject) =>
        db.get(sql.get, [sid, text(Date.now())], (error, row: { sess: string } | undefined) => (error ? reject(error) : resolve(row?.sess))),
      ),
    set: (sid, sess, expire) => run(sql.set, [sid, sess, text(expire)]),
    touch: (sid, expire) => run(sql.touch, [text(expire), sid]),
    destroy: (sid) => run(sql.destroy, [sid]),
    clear: () => run(`DELETE FROM ${table}`),
    close: () => new Promise((resolve, reject) => db.close((error) => (error ? reject(error) : resolve()))),
  };
}

export const rawFloor: Contender = {
  id: 'raw',
  label: 'raw driver floor',
  floor: true,
  supports: () => true,
  async open(db: Db, options: OpenOptions): Promise<Opened> {
    const driver = db === 'postgres' ? await postgres(options.table) : db === 'mariadb' ? await mariadb(options.table) : await sqlite(options.table);
    return { store: new RawStore(driver), statements: () => Number.NaN, reset: () => driver.clear(), close: () => driver.close() };
  },
};
