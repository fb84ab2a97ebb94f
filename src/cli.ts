#!/usr/bin/env node
/**
 * `sequelize-session-store`: operator commands against a session table of any layout the store
 * accepts, given a database URL. Exit codes: 0 done, 1 the database failed, 2 a wrong argument;
 * every failure is one line on stderr.
 */
import { parseArguments, USAGE, UsageError } from './cli-args.js';
import { connect, parseUrl, redact, type Connection } from './cli-connect.js';
import { countExpired, readLayout, type Layout } from './cli-layout.js';
import { sidHasher } from './crypto.js';
import { checkHashSids } from './options.js';
import { toDatabaseError } from './database-errors.js';
import { ConfigurationError } from './errors.js';
import { migrationSource } from './migration.js';
import { SequelizeSessionStore } from './store.js';

/** Progress goes to stderr, so that stdout stays the result; one line per step, never a spinner. */
const progress = (line: string) => process.stderr.write(`${line}\n`);

interface Rows {
  count(options?: object): Promise<number>;
  findAll(options: object): Promise<Array<Record<string, unknown>>>;
  update(values: object, options: object): Promise<unknown>;
  destroy(options: object): Promise<number>;
}

interface Stats {
  table: string;
  total: number;
  live: number;
  expired: number;
  markers: number;
}

async function stats(store: SequelizeSessionStore, connection: Connection, layout: Layout): Promise<Stats> {
  // In sequence: on SQLite they share one connection anyway.
  const live = await store.length();
  const total = await (layout.session.model as unknown as Rows).count();
  const expired = await countExpired(connection.sequelize, layout);
  // Rows neither live nor expired are destroy markers, kept until their expiry so a logout sticks.
  return { table: layout.table, total, live, expired, markers: Math.max(0, total - live - expired) };
}

async function prune(store: SequelizeSessionStore, connection: Connection, layout: Layout): Promise<number> {
  const expired = await countExpired(connection.sequelize, layout);
  if (expired === 0) return 0;
  progress(`pruning ${expired} expired rows of ${layout.table}…`);
  const started = Date.now();
  // The store deletes in batches; every few seconds, say how far it got.
  const timer = setInterval(() => {
    countExpired(connection.sequelize, layout).then(
      (left) => progress(`… ${Math.max(0, expired - left)} of ${expired} removed (${Math.round((Date.now() - started) / 1000)} s)`),
      () => undefined,
    );
  }, 2_000);
  timer.unref();
  try {
    return await store.cleanExpired();
  } finally {
    clearInterval(timer);
  }
}

const BATCH = 1_000;

/**
 * Replaces each stored id that is not already a digest by its digest, in batches read in key order.
 * An id whose digest is stored already (the store wrote it after hashSids went on) is a duplicate
 * and goes; the digest's row is the newer one.
 */
async function hashSids(connection: Connection, layout: Layout, secret: string | undefined): Promise<number> {
  const hash = sidHasher(checkHashSids(secret === undefined ? true : { secret }))!;
  const rows = layout.session.model as unknown as Rows;
  const key = layout.sidAttribute;
  const { Op } = connection;
  const digest = /^[0-9a-f]{64}$/;
  const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
  const total = await rows.count();
  if (total > BATCH) progress(`hashing the session ids of ${layout.table}: ${total} rows…`);
  let after: unknown;
  let seen = 0;
  let hashed = 0;
  for (;;) {
    const batch = await rows.findAll({
      attributes: [key],
      where: after === undefined ? {} : { [key]: { [Op.gt!]: after } },
      order: [[key, 'ASC']],
      limit: BATCH,
      raw: true,
    });
    if (batch.length === 0) break;
    after = batch[batch.length - 1]![key];
    seen += batch.length;
    const pending = batch
      .map((row) => text(row[key]))
      .filter((sid) => !digest.test(sid))
      .map((sid) => ({ sid, digest: hash(sid) }));
    if (pending.length > 0) {
      const stored = await rows.findAll({ attributes: [key], where: { [key]: pending.map((row) => row.digest) }, raw: true });
      const present = new Set(stored.map((row) => text(row[key])));
      const duplicates = pending.filter((row) => present.has(row.digest)).map((row) => row.sid);
      // One transaction per batch: a thousand single-row commits would each wait for the disk.
      try {
        await connection.sequelize.transaction(async (transaction: unknown) => {
          if (duplicates.length > 0) await rows.destroy({ where: { [key]: duplicates }, transaction });
          for (const row of pending) {
            if (!present.has(row.digest)) await rows.update({ [key]: row.digest }, { where: { [key]: row.sid }, transaction });
          }
        });
      } catch (error) {
        // A driver's message may quote a value (MySQL's "Duplicate entry '…'"): never a session id.
        throw toDatabaseError('hash-sids', error, pending.flatMap((row) => [row.sid, row.digest]));
      }
      hashed += pending.length;
    }
    if (total > BATCH) progress(`… ${Math.min(seen, total)} of ${total} rows read, ${hashed} ids hashed`);
  }
  return hashed;
}

function version(): string {
  // dist/cli.js and src/cli.ts both sit one folder below package.json.
  return (require('../package.json') as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArguments(argv);
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.version) {
    console.log(version());
    return 0;
  }
  const command = args.command!;
  if (command === 'migration') {
    process.stdout.write(migrationSource({ tableName: args.table, columns: args.columns }, args.dialect));
    return 0;
  }

  const url = args.url ?? process.env.DATABASE_URL;
  if (url === undefined || url === '') throw new UsageError('missing --url (or DATABASE_URL)');
  const target = parseUrl(url);
  const connection = connect(target, command === 'create-table');
  try {
    const options: Record<string, unknown> = { createTable: false, expiration: { interval: false } };
    if (args.table !== undefined) options.tableName = args.table;
    if (args.columns !== undefined) options.columns = args.columns;
    if (args.preset !== undefined) options.preset = args.preset;
    let layout: Layout;
    let store: SequelizeSessionStore;
    try {
      layout = await readLayout(connection.sequelize, options);
      store = new SequelizeSessionStore({ sequelize: connection.sequelize, ...options });
    } catch (error) {
      // A layout the store refuses (a bad name, an unknown preset, a table it cannot use) is a wrong argument.
      if (error instanceof ConfigurationError) throw new UsageError(error.message);
      throw error;
    }
    try {
      if (command === 'create-table') {
        await store.sync();
        console.log(`table ${layout.table} is ready on ${redact(url)}`);
      } else if (command === 'prune') {
        const removed = await prune(store, connection, layout);
        console.log(`removed ${removed} expired session rows from ${layout.table}`);
      } else if (command === 'hash-sids') {
        const hashed = await hashSids(connection, layout, args.secret ?? process.env.SESSION_SID_SECRET);
        console.log(`hashed ${hashed} session ids in ${layout.table}`);
      } else {
        const counts = await stats(store, connection, layout);
        console.log(
          args.json
            ? JSON.stringify(counts)
            : `table ${counts.table}\n` +
                `live sessions: ${counts.live}\n` +
                `expired rows (the next prune removes them): ${counts.expired}\n` +
                `destroy markers (kept until they expire): ${counts.markers}\n` +
                `total rows: ${counts.total}`,
        );
      }
    } finally {
      await store.close();
    }
    return 0;
  } finally {
    await connection.close();
  }
}

/** The first line of an error's message: an operator wants the reason, not a stack. */
const firstLine = (error: unknown) => String((error as Error)?.message ?? error).split('\n', 1)[0];

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sequelize-session-store: ${firstLine(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
