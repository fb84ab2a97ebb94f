// Small helpers shared by the test files: a Sequelize whose statements are recorded,
// sessions with a chosen expiry, raw reads of a stored row, and the usual assertions on errors.
import assert from 'node:assert/strict';
import type { SessionData } from 'express-session';
import { sqliteFile, type Target } from './targets.js';
import { SequelizeSessionStore } from '../../src/store.js';
import type { SessionStoreLayoutOptions } from '../../src/options.js';
import type { ModelLike } from '../../src/sequelize-compat.js';

export { SequelizeSessionStore };

/** A Sequelize instance plus every SQL text it logged, without the `Executing (…):` prefix. */
export interface LoggedDb {
  readonly sequelize: any;
  readonly log: string[];
}

const PREFIX = /^Executing \([^)]*\):\s*/;

/** Opens a Sequelize on `target` recording every statement's text in `log`. */
export function connectLogged(target: Target, options: Record<string, unknown> = {}): LoggedDb {
  const log: string[] = [];
  const sequelize = target.connect({ ...options, logging: (sql: string) => log.push(sql.replace(PREFIX, '')) });
  return { sequelize, log };
}

/**
 * A way to open several Sequelize instances on the same database (as several app processes
 * would): on SQLite they share one file, elsewhere they share the server's database anyway.
 */
export function sameDatabase(target: Target): (options?: Record<string, unknown>) => LoggedDb {
  const shared = target.dialect === 'sqlite' ? { storage: sqliteFile('shared') } : {};
  return (options = {}) => connectLogged(target, { ...shared, ...options });
}

/** The statements `log` received while `run` ran. */
export async function statementsDuring(log: string[], run: () => Promise<unknown>): Promise<string[]> {
  const start = log.length;
  await run();
  return log.slice(start);
}

/** How many statements `log` received while `run` ran. */
export async function countStatements(log: string[], run: () => Promise<unknown>): Promise<number> {
  return (await statementsDuring(log, run)).length;
}

/**
 * A session as express-session stores it: `expiresInMs` from now (negative: already expired), or
 * null for a browser-session cookie (no expires).
 */
export function makeSession(expiresInMs: number | null, data: Record<string, unknown> = {}): SessionData {
  const cookie =
    expiresInMs === null
      ? { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }
      : { originalMaxAge: expiresInMs, expires: new Date(Date.now() + expiresInMs).toISOString(), httpOnly: true, path: '/' };
  return { cookie, ...data } as unknown as SessionData;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A store with the prune timer off unless asked, on a table of the test's choosing. */
export function openStore(sequelize: unknown, options: SessionStoreLayoutOptions<ModelLike> & { db?: unknown } = {}): SequelizeSessionStore<any> {
  return new SequelizeSessionStore<ModelLike>({
    sequelize: sequelize as never,
    ...(options as SessionStoreLayoutOptions<ModelLike>),
    expiration: { interval: false, ...options.expiration },
  });
}

/** The dialect's quoting of a table name, from the instance itself. */
export function quoteTable(sequelize: any, table: string): string {
  const generator = sequelize.queryGenerator ?? sequelize.getQueryInterface().queryGenerator;
  return generator.quoteTable(table);
}

export function quoteIdentifier(sequelize: any, name: string): string {
  const generator = sequelize.queryGenerator ?? sequelize.getQueryInterface().queryGenerator;
  return generator.quoteIdentifier(name);
}

export async function dropTable(sequelize: any, table: string): Promise<void> {
  await sequelize.query(`DROP TABLE IF EXISTS ${quoteTable(sequelize, table)}`, { logging: false });
}

/** A time value as any dialect and major returns it (Date or text), in ms. */
export function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const ms = Date.parse(String(value));
  assert.ok(!Number.isNaN(ms), `not a time: ${String(value)}`);
  return ms;
}

const text = (value: unknown): unknown => (Buffer.isBuffer(value) ? value.toString('utf8') : value);

/** The raw row of `sid` in `table` (columns named by `columns`), or undefined. Bypasses the store. */
export async function rawRow(
  sequelize: any,
  table: string,
  sid: string,
  columns: { sid?: string; sess?: string; expire?: string } = {},
): Promise<{ sess: unknown; expire: number } | undefined> {
  const q = (name: string) => quoteIdentifier(sequelize, name);
  const rows = (await sequelize.query(
    `SELECT ${q(columns.sess ?? 'sess')} AS s, ${q(columns.expire ?? 'expire')} AS e FROM ${quoteTable(sequelize, table)} WHERE ${q(columns.sid ?? 'sid')} = $1`,
    { bind: [sid], type: 'SELECT', raw: true, logging: false },
  )) as Array<{ s: unknown; e: unknown }>;
  const row = rows[0];
  return row === undefined ? undefined : { sess: text(row.s), expire: toMs(row.e) };
}

/** How many rows `table` holds, whatever they are (live, expired, destroy markers). */
export async function rawCount(sequelize: any, table: string): Promise<number> {
  const rows = (await sequelize.query(`SELECT COUNT(*) AS n FROM ${quoteTable(sequelize, table)}`, {
    type: 'SELECT',
    raw: true,
    logging: false,
  })) as Array<{ n: unknown }>;
  return Number(text(rows[0]?.n));
}

/** Overwrites the stored `sess` of `sid`. */
export async function rawSetSess(sequelize: any, table: string, sid: string, value: string): Promise<void> {
  const q = (name: string) => quoteIdentifier(sequelize, name);
  await sequelize.query(`UPDATE ${quoteTable(sequelize, table)} SET ${q('sess')} = $1 WHERE ${q('sid')} = $2`, {
    bind: [value, sid],
    type: 'BULKUPDATE',
    raw: true,
    logging: false,
  });
}

/** Asserts the promise rejects with an error carrying `code`; returns the error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Error & { code?: string }> {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected a rejection with ${code}, got a resolution`),
    (error: unknown) => {
      caught = error;
    },
  );
  const error = caught as Error & { code?: string };
  assert.equal(error?.code, code, `expected code ${code}, got ${error?.code}: ${error?.message}`);
  return error;
}

/** Asserts the function throws synchronously with `code`; returns the error. */
export function throwsWithCode(run: () => unknown, code: string): Error & { code?: string } {
  try {
    run();
  } catch (error) {
    const e = error as Error & { code?: string };
    assert.equal(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  return assert.fail(`expected a throw with ${code}`);
}

/** Calls a callback-taking method and resolves to [error, value] once the callback fires. */
export function viaCallback<T>(call: (callback: (error: unknown, value?: T) => void) => unknown): Promise<[unknown, T | undefined]> {
  return new Promise((resolve) => {
    call((error, value) => resolve([error, value]));
  });
}

/** The sessions' user data without the cookie, for comparisons. */
export function withoutCookie(session: unknown): Record<string, unknown> {
  const { cookie: _cookie, ...rest } = (session ?? {}) as Record<string, unknown>;
  return rest;
}

/** The DataTypes of the instance's own major. */
export function dataTypes(sequelize: any): any {
  return sequelize.constructor.DataTypes;
}

/** `field` in v6, `columnName` in v7: the attribute option naming its column. */
export function columnOption(target: Target): 'field' | 'columnName' {
  return target.major === 'v7' ? 'columnName' : 'field';
}

/**
 * A user's session model with extra columns: `userId` (an integer `extras` fills) and `device`
 * (a string), plus sid/sess/expire, on `table`. The sid column compares exactly on MySQL/MariaDB.
 */
export function defineUserModel(target: Target, sequelize: any, table: string, options: { timestamps?: boolean } = {}): any {
  const types = dataTypes(sequelize);
  const exactSid = target.dialect === 'mariadb' || target.dialect === 'mysql' ? 'VARBINARY(1020)' : types.STRING(255);
  return sequelize.define(
    `User_${table}`,
    {
      sid: { type: exactSid, primaryKey: true, allowNull: false },
      sess: { type: types.TEXT, allowNull: false },
      expire: { type: types.DATE(6), allowNull: false },
      userId: { type: types.INTEGER, allowNull: true },
      device: { type: types.STRING(64), allowNull: true },
    },
    { tableName: table, timestamps: options.timestamps ?? false },
  );
}

/** Whether the target speaks a server dialect that accepts Sequelize's `timezone` option. */
export const acceptsTimezone = (target: Target): boolean => target.dialect !== 'sqlite';
