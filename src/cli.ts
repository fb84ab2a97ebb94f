#!/usr/bin/env node
/**
 * `sequelize-session-store`: operator commands against a session table, given a database URL.
 * The library never loads Sequelize itself; this tool does, taking whichever major is installed.
 */
import { parseArgs } from 'node:util';
import { sidHasher } from './crypto.js';
import { SequelizeSessionStore } from './store.js';
import type { SequelizeLike } from './sequelize-compat.js';

const USAGE = `Usage: sequelize-session-store <command> --url <database-url> [--table <name>]

Commands:
  create-table   create the session table and its index on expire, if missing
  prune          delete expired sessions now, in batches
  stats          count active sessions and rows awaiting a prune
  hash-sids      replace stored session ids by their digests, once, when turning on hashSids
                 (with --secret when the store uses hashSids: { secret })

Options:
  --url      postgres://…, mysql://…, mariadb://…, sqlite:path/to/file.sqlite (or DATABASE_URL)
  --table    the session table (default: express_session)
  --secret   the hashSids secret, for hash-sids (or SESSION_SID_SECRET)
  --help     this text`;

const V7_CONNECTORS: Record<string, string> = {
  postgres: '@sequelize/postgres',
  postgresql: '@sequelize/postgres',
  mysql: '@sequelize/mysql',
  mariadb: '@sequelize/mariadb',
  sqlite: '@sequelize/sqlite3',
};

/** A Sequelize instance for the URL, from `sequelize` (v6) if installed, else `@sequelize/core` (v7). */
function connect(url: string): SequelizeLike {
  const scheme = url.slice(0, url.indexOf(':'));
  try {
    const { Sequelize } = require('sequelize') as { Sequelize: new (url: string, options: object) => SequelizeLike };
    return new Sequelize(url, { logging: false });
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
  }
  const { Sequelize } = require('@sequelize/core') as { Sequelize: new (options: object) => SequelizeLike };
  const connector = V7_CONNECTORS[scheme];
  if (!connector) throw new Error(`unsupported URL scheme "${scheme}:"`);
  const dialect = Object.values(require(connector) as Record<string, unknown>).find(
    (value) => typeof value === 'function' && /Dialect$/.test((value as { name: string }).name),
  );
  const options = scheme === 'sqlite' ? { storage: url.replace(/^sqlite:(\/\/)?/, '') } : { url };
  return new Sequelize({ dialect, logging: false, ...options });
}

interface SessionRows {
  findAll(options: object): Promise<Array<{ sid: string | Buffer }>>;
  update(values: object, options: object): Promise<unknown>;
  destroy(options: object): Promise<number>;
}

/**
 * Replaces each stored id that is not already a digest by its digest. Ids are read and written
 * through the model, in batches; a row whose digest exists already is a duplicate and goes.
 */
async function hashStoredSids(model: unknown, hash: (sid: string) => string): Promise<number> {
  const rows = model as SessionRows;
  const digest = /^[0-9a-f]{64}$/;
  let count = 0;
  for (const { sid: raw } of await rows.findAll({ attributes: ['sid'], raw: true })) {
    const sid = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
    if (digest.test(sid)) continue;
    try {
      await rows.update({ sid: hash(sid) }, { where: { sid }, logging: false });
    } catch (error) {
      if ((error as { name?: string }).name !== 'SequelizeUniqueConstraintError') throw error;
      await rows.destroy({ where: { sid }, logging: false });
    }
    count++;
  }
  return count;
}

/** The URL without its password, to name the database in messages. */
const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: 'string' }, table: { type: 'string' }, secret: { type: 'string' }, help: { type: 'boolean' } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!['create-table', 'prune', 'stats', 'hash-sids'].includes(command)) {
    console.error(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }
  const url = values.url ?? process.env.DATABASE_URL;
  if (!url) {
    console.error('Missing --url (or DATABASE_URL).');
    return 2;
  }
  const sequelize = connect(url);
  const store = new SequelizeSessionStore({
    sequelize,
    tableName: values.table ?? 'express_session',
    createTable: false,
    expiration: { interval: false },
  });
  try {
    if (command === 'create-table') {
      await store.sync();
      console.log(`table ${values.table ?? 'express_session'} is ready on ${redact(url)}`);
    } else if (command === 'hash-sids') {
      const secret = values.secret ?? process.env.SESSION_SID_SECRET;
      const hashed = await hashStoredSids(store.model, sidHasher(secret === undefined ? true : { secret })!);
      console.log(`hashed ${hashed} session ids`);
    } else if (command === 'prune') {
      const removed = await store.cleanExpired();
      console.log(`removed ${removed} expired session rows`);
    } else {
      const [active, rows] = await Promise.all([store.length(), (store.model as unknown as { count(): Promise<number> }).count()]);
      console.log(`active sessions: ${active}\nrows awaiting prune (expired or signed out): ${rows - active}`);
    }
    return 0;
  } finally {
    await store.close();
    await (sequelize as unknown as { close(): Promise<void> }).close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // One line: an operator wants the reason, not a stack.
    console.error(`sequelize-session-store: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  },
);
