// The four peer stores, as an application that uses one of them opens it: each makes its own
// table on a database of its own, created for this test process and dropped afterwards, so the
// store is switched in with the README's one-liner (no table name to override).
import { Cookie, Store } from 'express-session';
import type { SessionData } from 'express-session';
import { MARIADB_URL, PG_URL } from './servers.cjs';
import { sqliteFile, type Dialect } from './targets.js';

const pkg = (name: string) => (require(`${name}/package.json`) as { version: string }).version;

export const VERSIONS = {
  'connect-pg-simple': pkg('connect-pg-simple'),
  'connect-session-sequelize': pkg('connect-session-sequelize'),
  'express-mysql-session': pkg('express-mysql-session'),
  'connect-session-knex': pkg('connect-session-knex'),
};

/** Where a peer's database is: the server's connection, or the SQLite file both stores open. */
export interface Place {
  readonly dialect: Dialect;
  readonly database: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** SQLite only. */
  readonly storage: string;
  drop(): Promise<void>;
}

let counter = 0;

/** A new, empty database on the target's server (or a new SQLite file). */
export async function freshPlace(dialect: Dialect, options: { zone?: string } = {}): Promise<Place> {
  const database = `sss_peer_${process.pid}_${counter++}`;
  if (dialect === 'sqlite') {
    return { dialect, database, host: '', port: 0, user: '', storage: sqliteFile('peer'), drop: async () => {} };
  }
  if (dialect === 'postgres') {
    const url = new URL(PG_URL);
    const pg = require('pg') as typeof import('pg');
    const admin = () => new pg.Client({ host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), database: 'postgres' });
    const client = admin();
    await client.connect();
    await client.query(`CREATE DATABASE "${database}"`);
    // The zone its connections start in, which is where connect-pg-simple's local timestamps live.
    if (options.zone) await client.query(`ALTER DATABASE "${database}" SET timezone TO '${options.zone}'`);
    await client.end();
    return {
      dialect, database, host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), storage: '',
      async drop() {
        const c = admin();
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const url = new URL(MARIADB_URL);
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
  const admin = () => mysql.createConnection({ host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username) });
  const conn = await admin();
  await conn.query(`CREATE DATABASE \`${database}\``);
  await conn.end();
  return {
    dialect, database, host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), storage: '',
    async drop() {
      const c = await admin();
      await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await c.end();
    },
  };
}

/** Sequelize's connection options for a place. */
export function sequelizeOptions(place: Place): Record<string, unknown> {
  return place.dialect === 'sqlite' ? { storage: place.storage } : { database: place.database };
}

/** A session as express-session hands it to a store: a real Cookie, `maxAge` ms from now. */
export function sessionOf(maxAge: number, data: Record<string, unknown> = {}): SessionData {
  const cookie = new Cookie();
  cookie.maxAge = maxAge;
  return { cookie, ...data } as unknown as SessionData;
}

/** A store's method called as express-session calls it: with a node-style callback. */
export function call<T>(store: Store, method: 'get' | 'set' | 'touch' | 'destroy', ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    (store as unknown as Record<string, (...a: unknown[]) => void>)[method]!(...args, (error: unknown, value: T) =>
      error ? reject(error) : resolve(value),
    );
  });
}

export interface OpenPeer {
  readonly store: Store;
  close(): Promise<void>;
}

type Opener = (place: Place) => Promise<OpenPeer>;

export const openConnectPgSimple: Opener = async (place) => {
  const PgStore = (require('connect-pg-simple') as (s: unknown) => new (options: object) => Store & { close(): void })(require('express-session'));
  const store = new PgStore({
    conObject: { host: place.host, port: place.port, user: place.user, database: place.database },
    createTableIfMissing: true,
    pruneSessionInterval: false,
  });
  // The table is made before its first query.
  await call(store, 'get', 'warm-up');
  return { store, close: async () => store.close() };
};

export const openConnectSessionSequelize: Opener = async (place) => {
  const { Sequelize } = require('sequelize') as typeof import('sequelize');
  const sequelize = new Sequelize({
    dialect: place.dialect === 'mysql' ? 'mysql' : place.dialect,
    host: place.host || undefined,
    port: place.port || undefined,
    username: place.user || undefined,
    logging: false,
    ...sequelizeOptions(place),
  } as never);
  const SequelizeStore = require('connect-session-sequelize')(Store) as new (options: object) => Store & { sync(): Promise<unknown>; stopExpiringSessions(): void; clearExpiredSessions(): Promise<unknown> };
  const store = new SequelizeStore({ db: sequelize, checkExpirationInterval: 0 });
  await store.sync();
  return {
    store,
    close: async () => {
      store.stopExpiringSessions();
      await sequelize.close();
    },
  };
};

export const openExpressMysqlSession: Opener = async (place) => {
  const MySQLStore = require('express-mysql-session')(require('express-session')) as new (options: object) => Store & {
    onReady(): Promise<void>;
    close(): Promise<void>;
  };
  const store = new MySQLStore({ host: place.host, port: place.port, user: place.user, database: place.database, clearExpired: false });
  await store.onReady();
  return { store, close: () => store.close() };
};

export const openConnectSessionKnex: Opener = async (place) => {
  const knexFactory = require('knex') as typeof import('knex').knex;
  const knex = knexFactory(
    place.dialect === 'sqlite'
      ? { client: 'sqlite3', connection: { filename: place.storage }, useNullAsDefault: true }
      : place.dialect === 'postgres'
        ? { client: 'pg', connection: { host: place.host, port: place.port, user: place.user, database: place.database } }
        : { client: 'mysql2', connection: { host: place.host, port: place.port, user: place.user, database: place.database } },
  );
  const { ConnectSessionKnexStore } = require('connect-session-knex') as typeof import('connect-session-knex');
  const store = new ConnectSessionKnexStore({ knex, cleanupInterval: 0 });
  await store.ready;
  return { store, close: () => knex.destroy() };
};
