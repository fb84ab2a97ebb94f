/** The dialect-specific peers (connect-pg-simple, express-mysql-session) and the MemoryStore ceiling. */
import session from 'express-session';
import { DATABASE, MARIADB, PG, POOL_SIZE, type Db } from '../lib/config.js';
import type { Contender, Opened, OpenOptions } from './types.js';

export const connectPgSimple: Contender = {
  id: 'pg-simple',
  label: 'connect-pg-simple 10',
  supports: (db) => db === 'postgres',
  async open(_db: Db, options: OpenOptions): Promise<Opened> {
    const { Pool } = await import('pg');
    const pool = new Pool({ ...PG, database: DATABASE, max: POOL_SIZE });
     
    const PgStore = require('connect-pg-simple')(session);
    // Its own table.sql, with index and constraint names made unique per table (its fixed
    // "IDX_session_expire" would collide between two tables of one schema).
    const { readFileSync } = await import('node:fs');
    const ddl = readFileSync(require.resolve('connect-pg-simple/table.sql'), 'utf8')
      .replaceAll('"session_pkey"', `"${options.table}_pkey"`)
      .replaceAll('"IDX_session_expire"', `"${options.table}_expire"`)
      .replaceAll('"session"', `"${options.table}"`);
    const { rows } = await pool.query('SELECT to_regclass($1::text) AS t', [options.table]);
    if (rows[0].t === null) await pool.query(ddl);
    const store = new PgStore({ pool, tableName: options.table, createTableIfMissing: false, pruneSessionInterval: false });
    return {
      store,
      statements: () => Number.NaN,
      reset: async () => void (await pool.query(`TRUNCATE ${options.table}`)),
      async close() {
        await pool.end();
      },
    };
  },
};

export const expressMysqlSession: Contender = {
  id: 'mysql-session',
  label: 'express-mysql-session 3',
  supports: (db) => db === 'mariadb',
  async open(_db: Db, options: OpenOptions): Promise<Opened> {
     
    const MySQLStore = require('express-mysql-session')(session);
    const store = new MySQLStore({
      ...MARIADB, database: DATABASE, connectionLimit: POOL_SIZE, clearExpired: false, createDatabaseTable: true,
      schema: { tableName: options.table },
    });
    await store.onReady();
    return {
      store,
      statements: () => Number.NaN,
      reset: () => store.clear(),
      close: () => store.close(),
    };
  },
};

export const memoryStore: Contender = {
  id: 'memory',
  label: 'MemoryStore (ceiling)',
  supports: () => true,
  async open(): Promise<Opened> {
    const store = new session.MemoryStore();
    return {
      store,
      statements: () => Number.NaN,
      reset: () => new Promise<void>((resolve) => store.clear!(() => resolve())),
      close: async () => undefined,
    };
  },
};
