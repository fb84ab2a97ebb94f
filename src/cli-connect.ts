/**
 * A Sequelize instance for the command line's `--url`, from `sequelize` (v6) if installed, else
 * `@sequelize/core` (v7) with its connector package. The library itself never loads either.
 */
import { existsSync } from 'node:fs';
import { UsageError } from './cli-args.js';
import type { SequelizeLike } from './sequelize-compat.js';

/** sqlite3's SQLITE_OPEN_READWRITE and SQLITE_OPEN_CREATE flags (the C API's, stable). */
const OPEN_READWRITE = 0x2;
const OPEN_CREATE = 0x4;

const V7_CONNECTORS: Record<string, string> = {
  postgres: '@sequelize/postgres',
  mysql: '@sequelize/mysql',
  mariadb: '@sequelize/mariadb',
  sqlite: '@sequelize/sqlite3',
};

const SCHEMES: Record<string, keyof typeof V7_CONNECTORS> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mariadb',
  sqlite: 'sqlite',
};

/** The URL without its password, to name the database in messages. */
export const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/** The instance, with the members the commands use beyond the store's. */
type Instance = SequelizeLike & {
  transaction(run: (transaction: unknown) => Promise<unknown>): Promise<unknown>;
  close(): Promise<void>;
};

export interface Connection {
  readonly sequelize: Instance;
  /** The Sequelize package's operators (`Op`), for the queries the commands send through the model. */
  readonly Op: Record<string, symbol>;
  close(): Promise<void>;
}

export interface Target {
  readonly dialect: keyof typeof V7_CONNECTORS;
  /** The SQLite file, for `sqlite:` URLs. */
  readonly storage: string | undefined;
  readonly url: string;
}

/** Checks the URL's form without connecting; throws a {@link UsageError} naming what is wrong. */
export function parseUrl(url: string): Target {
  const expected = 'expected postgres://…, mysql://…, mariadb://… or sqlite:path/to/file.sqlite';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) throw new UsageError(`--url is not a database URL (${expected})`);
  const dialect = SCHEMES[scheme];
  if (dialect === undefined) throw new UsageError(`--url: the scheme "${scheme}:" is not supported (${expected})`);
  if (dialect === 'sqlite') {
    const storage = url.slice(scheme.length + 1).replace(/^\/\/(?=\/|[^/])/, '');
    if (storage === '') throw new UsageError('--url: the sqlite: URL names no file (sqlite:path/to/file.sqlite)');
    return { dialect, storage, url };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url is not a valid ${scheme}: URL (${expected})`);
  }
  if (parsed.hostname === '') throw new UsageError(`--url names no host (${scheme}://user@host/database)`);
  return { dialect, storage: undefined, url };
}

const isMissing = (error: unknown, name: string): boolean =>
  (error as { code?: string }).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`);

function load(name: string): unknown {
  try {
    return require(name);
  } catch (error) {
    if (isMissing(error, name)) return undefined;
    throw error;
  }
}

/**
 * Opens the database of `target`. An SQLite file is opened read-write without being created unless
 * `create` (create-table, which makes the database): a typo must not leave an empty file behind.
 */
export function connect(target: Target, create: boolean): Connection {
  const memory = target.storage === ':memory:';
  if (target.storage !== undefined && !create && !memory && !existsSync(target.storage)) {
    throw new UsageError(`no SQLite database at ${target.storage} (create-table creates one)`);
  }
  const mode = create ? OPEN_READWRITE | OPEN_CREATE : OPEN_READWRITE;

  const v6 = load('sequelize') as
    | { Sequelize: new (...args: unknown[]) => Instance; Op: Record<string, symbol> }
    | undefined;
  if (v6) {
    let sequelize;
    try {
      sequelize =
        target.storage !== undefined
          ? new v6.Sequelize({ dialect: 'sqlite', storage: target.storage, dialectOptions: { mode }, logging: false })
          : new v6.Sequelize(target.url, { logging: false });
    } catch (error) {
      // Sequelize v6 loads the driver in its constructor: "Please install pg package manually".
      const driver = /Please install (\S+) package/.exec(String((error as Error).message))?.[1];
      if (driver) throw new Error(`the ${target.dialect} driver is not installed: npm install ${driver}`);
      throw error;
    }
    return { sequelize, Op: v6.Op, close: () => sequelize.close() };
  }

  const v7 = load('@sequelize/core') as
    | { Sequelize: new (options: object) => Instance; Op: Record<string, symbol> }
    | undefined;
  if (!v7) throw new Error('neither sequelize (v6) nor @sequelize/core (v7) is installed: npm install sequelize, or @sequelize/core');
  const connector = V7_CONNECTORS[target.dialect]!;
  let module: Record<string, unknown>;
  try {
    module = require(connector) as Record<string, unknown>;
  } catch (error) {
    if (isMissing(error, connector)) throw new Error(`Sequelize v7 needs its ${target.dialect} connector: npm install ${connector}`);
    throw error;
  }
  const dialect = Object.values(module).find((value) => typeof value === 'function' && /Dialect$/.test((value as { name: string }).name));
  const options = target.storage !== undefined ? { storage: target.storage, mode, pool: { max: 1 } } : { url: target.url };
  const sequelize = new v7.Sequelize({ dialect, logging: false, ...options });
  return { sequelize, Op: v7.Op, close: () => sequelize.close() };
}
