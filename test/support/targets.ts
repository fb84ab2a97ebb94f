// The test matrix: each target is a Sequelize major (v6 `sequelize`, v7 `@sequelize/core`) with a
// dialect, connected to a real server. `npm test` (scripts/test.mjs) decides which are reachable.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MARIADB_URL, PG_URL } from './servers.cjs';
import type { SequelizeLike } from '../../src/sequelize-compat.js';

export type Major = 'v6' | 'v7';
export type Dialect = 'sqlite' | 'postgres' | 'mariadb' | 'mysql';

export interface Target {
  readonly id: string;
  readonly major: Major;
  readonly dialect: Dialect;
  /** `[v6 sqlite]`: the tag the per-target summary counts by. */
  readonly tag: string;
  /** A new Sequelize instance on this target; `options` are merged into the constructor's. */
  connect(options?: Record<string, unknown>): SequelizeLike;
}

let sqliteDir: string | undefined;
/** A fresh SQLite file path for this test process. */
export function sqliteFile(name = 'db'): string {
  sqliteDir ??= mkdtempSync(join(tmpdir(), 'sss-test-'));
  return join(sqliteDir, `${name}-${Math.random().toString(36).slice(2)}.sqlite`);
}

function connection(dialect: Dialect): Record<string, unknown> {
  if (dialect === 'sqlite') return { storage: sqliteFile() };
  const url = new URL(dialect === 'postgres' ? PG_URL : MARIADB_URL);
  return {
    host: url.hostname,
    port: Number(url.port),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

function connectV6(dialect: Dialect, options: Record<string, unknown>): SequelizeLike {
  const { Sequelize } = require('sequelize') as typeof import('sequelize');
  const { user, ...rest } = connection(dialect);
  return new Sequelize({
    dialect,
    username: user as string,
    logging: false,
    ...rest,
    ...options,
  } as never) as unknown as SequelizeLike;
}

const V7_DIALECTS = {
  sqlite: () => (require('@sequelize/sqlite3') as typeof import('@sequelize/sqlite3')).SqliteDialect,
  postgres: () => (require('@sequelize/postgres') as typeof import('@sequelize/postgres')).PostgresDialect,
  mariadb: () => (require('@sequelize/mariadb') as typeof import('@sequelize/mariadb')).MariaDbDialect,
  mysql: () => (require('@sequelize/mysql') as typeof import('@sequelize/mysql')).MySqlDialect,
};

function connectV7(dialect: Dialect, options: Record<string, unknown>): SequelizeLike {
  const { Sequelize } = require('@sequelize/core') as typeof import('@sequelize/core');
  return new Sequelize({
    dialect: V7_DIALECTS[dialect](),
    logging: false,
    ...connection(dialect),
    ...options,
  } as never) as unknown as SequelizeLike;
}

/** The reachable targets, from SSS_TARGETS (set by scripts/test.mjs); the two SQLite ones, which need no server, when unset. */
export function targets(): Target[] {
  const ids = (process.env.SSS_TARGETS ?? 'v6-sqlite,v7-sqlite').split(',').filter(Boolean);
  return ids.map((id) => {
    const [major, dialect] = id.split('-') as [Major, Dialect];
    return {
      id,
      major,
      dialect,
      tag: `[${major} ${dialect}]`,
      connect: (options = {}) => (major === 'v6' ? connectV6(dialect, options) : connectV7(dialect, options)),
    };
  });
}

/** A table name unique to this test process, so test files may run side by side on one database. */
export function uniqueTable(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
}
