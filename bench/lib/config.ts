/**
 * Where the benchmark's databases live and how every contender connects: the same servers, the
 * same database (`sss_bench`, created when missing), the same pool size, loopback only.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Db = 'sqlite' | 'postgres' | 'mariadb';
export const ALL_DBS: readonly Db[] = ['sqlite', 'postgres', 'mariadb'];

export const DATABASE = 'sss_bench';
export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' };
export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** Connections per contender pool: every contender gets the same (SQLite: one connection each). */
export const POOL_SIZE = 8;

let sqliteDir: string | undefined;
/** A directory for this run's SQLite files (removed at exit). */
export function sqliteDirectory(): string {
  if (sqliteDir === undefined) {
    // tmpfs where there is one: fsync then costs nothing, so SQLite ratios show what the code costs, not the disk.
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    sqliteDir = process.env.SSS_BENCH_SQLITE_DIR ?? mkdtempSync(join(base, 'sss-bench-'));
    if (!process.env.SSS_BENCH_SQLITE_DIR) {
      const dir = sqliteDir;
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
  }
  return sqliteDir;
}

export function sqliteFile(name: string): string {
  return join(sqliteDirectory(), `${name}.sqlite`);
}

/** Creates `sss_bench` on the servers asked for; resolves to the ones that could not be reached. */
export async function ensureDatabases(dbs: readonly Db[]): Promise<Map<Db, string>> {
  const unreachable = new Map<Db, string>();
  if (dbs.includes('postgres')) {
    const { Client } = await import('pg');
    const client = new Client({ ...PG, database: 'postgres', connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
    } catch (error) {
      unreachable.set('postgres', (error as Error).message);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  if (dbs.includes('mariadb')) {
    const mariadb = await import('mariadb');
    try {
      const conn = await mariadb.createConnection({ ...MARIADB, connectTimeout: 3000 });
      try {
        await conn.query(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
      } finally {
        await conn.end();
      }
    } catch (error) {
      unreachable.set('mariadb', (error as Error).message);
    }
  }
  return unreachable;
}

/** Server versions, for the report. */
export async function serverVersions(dbs: readonly Db[]): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  if (dbs.includes('postgres')) {
    const { Client } = await import('pg');
    const client = new Client({ ...PG, database: DATABASE });
    await client.connect();
    versions.postgres = String((await client.query('SHOW server_version')).rows[0].server_version);
    await client.end();
  }
  if (dbs.includes('mariadb')) {
    const mariadb = await import('mariadb');
    const conn = await mariadb.createConnection({ ...MARIADB, database: DATABASE });
    versions.mariadb = String((await conn.query('SELECT VERSION() AS v'))[0].v);
    await conn.end();
  }
  if (dbs.includes('sqlite')) {
    const sqlite3 = (await import('sqlite3')).default;
    const db = new sqlite3.Database(':memory:');
    versions.sqlite = await new Promise<string>((resolve, reject) =>
      db.get('SELECT sqlite_version() AS v', (error: Error | null, row: { v: string }) => (error ? reject(error) : resolve(row.v))),
    );
    db.close();
  }
  return versions;
}
