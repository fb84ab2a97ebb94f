// The demo's configuration, read from the environment. Every mistake becomes a ConfigError whose
// message is one line fit for stderr, and no message ever contains the database password.
import { isAbsolute, join, relative, resolve } from 'node:path';

export type Dialect = 'sqlite' | 'postgres' | 'mysql' | 'mariadb';

export interface DatabaseConfig {
  readonly dialect: Dialect;
  /** The URL handed to Sequelize (network databases only). */
  readonly url?: string;
  /** The SQLite file (sqlite only). */
  readonly storage?: string;
  /** What to print: the URL without password or query string, or the SQLite file. */
  readonly display: string;
}

export interface DemoConfig {
  readonly port: number;
  /** Interface to listen on; undefined listens on all of them, as Express does by default. */
  readonly host: string | undefined;
  readonly database: DatabaseConfig;
  /** undefined when SESSION_SECRET is unset: server.ts then uses a generated one. */
  readonly sessionSecret: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Where the default SQLite file and the generated secret live (gitignored). */
export const DATA_DIR = join(__dirname, 'data');
export const DEFAULT_SQLITE_FILE = join(DATA_DIR, 'demo.sqlite');

const SCHEMES: Record<string, Dialect> = {
  'sqlite:': 'sqlite',
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  // Sequelize v6 takes the dialect from the scheme, so mariadb:// selects its mariadb dialect.
  'mariadb:': 'mariadb',
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  return {
    port: parsePort(env.PORT),
    host: env.HOST?.trim() || undefined,
    database: parseDatabaseUrl(env.DATABASE_URL),
    sessionSecret: env.SESSION_SECRET || undefined,
  };
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 3000;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port > 65535) {
    throw new ConfigError(`PORT must be a number from 0 to 65535, not ${JSON.stringify(raw)}`);
  }
  return port;
}

export function parseDatabaseUrl(raw: string | undefined): DatabaseConfig {
  if (raw === undefined || raw.trim() === '') {
    return { dialect: 'sqlite', storage: DEFAULT_SQLITE_FILE, display: `sqlite:${shortPath(DEFAULT_SQLITE_FILE)}` };
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    // Not echoed: an unparsable URL cannot be stripped of its password.
    throw new ConfigError('DATABASE_URL is not a valid URL (expected postgres://, mysql://, mariadb:// or sqlite:)');
  }
  const dialect = SCHEMES[url.protocol];
  if (!dialect) {
    throw new ConfigError(
      `DATABASE_URL has the unsupported scheme "${url.protocol}" (expected postgres://, mysql://, mariadb:// or sqlite:)`,
    );
  }
  if (dialect === 'sqlite') {
    // sqlite:///abs/file.sqlite, sqlite:relative/file.sqlite or sqlite::memory:
    const path = decodeURIComponent(raw.trim().slice('sqlite:'.length).replace(/^\/\//, '').split('?')[0] ?? '');
    if (path === '') throw new ConfigError('DATABASE_URL sqlite: needs a file, e.g. sqlite:///tmp/demo.sqlite');
    const storage = path === ':memory:' ? path : resolve(path);
    return { dialect, storage, display: `sqlite:${storage === ':memory:' ? storage : shortPath(storage)}` };
  }
  if (url.hostname === '') throw new ConfigError(`DATABASE_URL (${redactedUrl(url)}) names no host`);
  if (url.pathname.replace(/^\//, '') === '') {
    throw new ConfigError(`DATABASE_URL (${redactedUrl(url)}) names no database, e.g. ${url.protocol}//user@host/dbname`);
  }
  return { dialect, url: raw.trim(), display: redactedUrl(url) };
}

/** The URL without password and query string (which may carry ssl keys or passwords too). */
function redactedUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.password = '';
  copy.search = '';
  copy.hash = '';
  return copy.href;
}

/** A path relative to the working directory when it lies inside it, for shorter output. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
