// One app process of a cluster scenario: its own Sequelize instances (one per database endpoint it
// is given, each with its own pool) and a store on each, driving sessions as express-session would.
// The orchestrator (run.ts) forks it, sends it a config and commands over IPC, and gets figures back.
import type { SessionData } from 'express-session';
import type { SequelizeSessionStore as Store } from '../../src/store.js';

// SSS_CLUSTER_STORE: another copy of src/store.ts, to show a scenario failing on an older version.
const { SequelizeSessionStore } = require(process.env.SSS_CLUSTER_STORE ?? '../../src/store.js') as { SequelizeSessionStore: typeof Store };

export interface Endpoint {
  host?: string;
  port?: number;
  database?: string;
  storage?: string;
}

export interface AppConfig {
  id: string;
  major: 'v6' | 'v7';
  dialect: 'postgres' | 'mariadb' | 'sqlite';
  /** Named endpoints; the first is the app's main database. */
  endpoints: Record<string, Endpoint>;
  /** Sequelize `replication.read` of the main endpoint. */
  replica?: Endpoint;
  table: string;
  operationTimeout?: number;
  poolMax?: number;
  /** Passed to the driver (v6 `dialectOptions`; v7 takes them at the top level). */
  dialectOptions?: Record<string, unknown>;
}

export interface ErrorRecord {
  at: number;
  op: string;
  transient: boolean;
  code: string;
  message: string;
}

export type Command =
  | { cmd: 'lag'; durationMs: number }
  | { cmd: 'writes'; loops: number }
  | { cmd: 'stop' }
  | { cmd: 'verify' }
  | { cmd: 'causal'; durationMs: number }
  | { cmd: 'contend'; rounds: number; sid: string }
  | { cmd: 'prune' }
  | { cmd: 'first' }
  | { cmd: 'unicode' }
  | { cmd: 'hang'; writers: number; durationMs: number; sid: string }
  | { cmd: 'exit' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR = 3_600_000;

function session(data: Record<string, unknown>): SessionData {
  const expires = new Date(Date.now() + HOUR).toISOString();
  return { cookie: { originalMaxAge: HOUR, expires, httpOnly: true, path: '/' }, ...data } as unknown as SessionData;
}

function connect(config: AppConfig, endpoint: Endpoint, replica?: Endpoint): any {
  const side = (e: Endpoint) =>
    config.dialect === 'sqlite'
      ? { storage: e.storage }
      : { host: e.host, port: e.port, database: e.database, [config.major === 'v6' ? 'username' : 'user']: config.dialect === 'postgres' ? 'postgres' : 'root', password: '' };
  const pool = { max: config.poolMax ?? 5, min: 0, acquire: 20_000, idle: 10_000 };
  const driver = config.dialectOptions ?? {};
  const common = { logging: false, pool, ...(config.major === 'v6' ? { dialectOptions: driver } : driver), ...(replica ? { replication: { read: [side(replica)], write: side(endpoint) } } : side(endpoint)) };
  if (config.major === 'v6') {
    const { Sequelize } = require('sequelize') as typeof import('sequelize');
    return new Sequelize({ dialect: config.dialect, ...common } as never);
  }
  const { Sequelize } = require('@sequelize/core') as typeof import('@sequelize/core');
  const dialects = {
    postgres: () => require('@sequelize/postgres').PostgresDialect,
    mariadb: () => require('@sequelize/mariadb').MariaDbDialect,
    sqlite: () => require('@sequelize/sqlite3').SqliteDialect,
  };
  return new Sequelize({ dialect: dialects[config.dialect](), ...common } as never);
}

let config: AppConfig;
const sequelizes: Record<string, any> = {};
const stores: Record<string, Store> = {};
const errors: ErrorRecord[] = [];
let stopping = false;

function record(op: string, error: unknown): void {
  const e = error as { transient?: unknown; code?: unknown; driverCode?: unknown; message?: unknown };
  errors.push({
    at: Date.now(),
    op,
    transient: e?.transient === true,
    code: String(e?.driverCode ?? e?.code ?? 'none'),
    message: String(e?.message ?? error).slice(0, 160),
  });
}

/** Runs `op`; a failure is recorded and turned into `failed`. */
async function attempt<T>(op: string, run: () => Promise<T>): Promise<T | typeof failed> {
  try {
    return await run();
  } catch (error) {
    record(op, error);
    return failed;
  }
}
const failed = Symbol('failed');

const n = (found: unknown) => (found as { n?: unknown } | null)?.n;

/** The raw row as a plain query reads it: through the replica pool, without the store. */
async function plainRead(name: string, sid: string): Promise<unknown> {
  const sequelize = sequelizes[name];
  const q = config.dialect === 'postgres' ? (id: string) => `"${id}"` : (id: string) => `\`${id}\``;
  const rows = (await sequelize.query(`SELECT ${q('sess')} AS s FROM ${q(config.table)} WHERE ${q('sid')} = ?`, {
    replacements: [sid],
    type: 'SELECT',
    raw: true,
  })) as Array<{ s: unknown }>;
  const value = rows[0]?.s;
  if (value === undefined || value === null) return null;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return text === '' ? null : JSON.parse(text);
}

async function lag(durationMs: number) {
  const store = stores.main!;
  let ops = 0, stale = 0, undone = 0, plain = 0, plainStale = 0;
  const end = Date.now() + durationMs;
  for (let i = 0; Date.now() < end; i++) {
    const sid = `${config.id}-lag-${i}`;
    for (const value of [1, 2]) {
      if ((await attempt('set', () => store.set(sid, session({ n: value })))) === failed) continue;
      const [found, raw] = await Promise.all([attempt('get', () => store.get(sid)), plainRead('main', sid).catch(() => null)]);
      ops += 2;
      plain++;
      if (found !== failed && n(found) !== value) stale++;
      if (n(raw) !== value) plainStale++;
    }
    if ((await attempt('destroy', () => store.destroy(sid))) === failed) continue;
    // A touch that was in flight when the user logged out must not bring the session back.
    await attempt('touch', () => store.touch(sid, session({ n: 2 })));
    const after = await attempt('get', () => store.get(sid));
    ops += 3;
    if (after !== failed && after !== null) undone++;
  }
  return { ops, stale, undone, plain, plainStale };
}

const acked = new Map<string, number>();
let writesDone: Promise<unknown> | undefined;
let ops = 0;

function writes(loops: number): void {
  const store = stores.main!;
  stopping = false;
  writesDone = Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let i = 0; !stopping; i++) {
        const sid = `${config.id}-w${loop}-${i}`;
        const ok = await attempt('set', () => store.set(sid, session({ n: i })));
        ops++;
        if (ok !== failed) {
          acked.set(sid, i);
          await attempt('get', () => store.get(sid));
          ops++;
        }
        await sleep(ok === failed ? 50 : 10);
      }
    }),
  );
}

async function verify() {
  const store = stores.main!;
  let lost = 0;
  const errorsBefore = errors.length;
  for (const [sid, value] of acked) {
    let found: unknown = failed;
    for (let tries = 0; found === failed && tries < 20; tries++) {
      found = await attempt('verify', () => store.get(sid));
      if (found === failed) await sleep(250);
    }
    if (n(found) !== value) lost++;
  }
  errors.length = errorsBefore;
  return { acked: acked.size, lost };
}

async function causal(durationMs: number) {
  const names = Object.keys(stores);
  let ops = 0, stale = 0, undone = 0, plain = 0, plainStale = 0;
  const end = Date.now() + durationMs;
  for (let i = 0; Date.now() < end; i++) {
    const writer = names[i % names.length]!;
    const reader = names[(i + 1) % names.length]!;
    const a = `${config.id}-c${i}a`;
    const b = `${config.id}-c${i}b`;
    const wrote = await Promise.all([
      attempt('set', () => stores[writer]!.set(a, session({ n: i }))),
      attempt('set', () => stores[writer]!.set(b, session({ n: i }))),
    ]);
    if (wrote.includes(failed)) continue;
    // Both reads race the same replication: one through the store, one plain on the same node.
    const [found, raw] = await Promise.all([attempt('get', () => stores[reader]!.get(a)), plainRead(reader, b).catch(() => null)]);
    ops += 3;
    plain++;
    if (found !== failed && n(found) !== i) stale++;
    if (n(raw) !== i) plainStale++;
    if ((await attempt('destroy', () => stores[writer]!.destroy(a))) === failed) continue;
    const after = await attempt('get', () => stores[reader]!.get(a));
    ops += 2;
    if (after !== failed && after !== null) undone++;
  }
  return { ops, stale, undone, plain, plainStale };
}

async function contend(rounds: number, sid: string) {
  const names = Object.keys(stores);
  let ops = 0, wrong = 0;
  for (let round = 0; round < rounds; round++) {
    await Promise.all(names.map((name, k) => attempt('set', () => stores[name]!.set(sid, session({ n: round * 10 + k })))));
    ops += names.length;
    const found = await attempt('get', () => stores[names[round % names.length]!]!.get(sid));
    ops++;
    const value = n(found);
    if (found !== failed && (typeof value !== 'number' || Math.floor(value / 10) !== round)) wrong++;
  }
  return { ops, wrong };
}

async function hang(writers: number, durationMs: number, sid: string) {
  const store = stores.main!;
  const reads: Array<{ at: number; ok: boolean }> = [];
  const end = Date.now() + durationMs;
  const writeLoops = Array.from({ length: writers }, async (_, k) => {
    for (let i = 0; Date.now() < end; i++) {
      await attempt('set', () => store.set(`${config.id}-hang-${k}-${i}`, session({ n: i })));
      await sleep(50);
    }
  });
  const readLoop = (async () => {
    while (Date.now() < end) {
      const found = await attempt('get', () => store.get(sid));
      reads.push({ at: Date.now(), ok: found !== failed && n(found) === 1 });
      await sleep(100);
    }
  })();
  await Promise.all([...writeLoops, readLoop]);
  return { reads };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'lag':
      return lag(command.durationMs);
    case 'writes':
      writes(command.loops);
      return { started: true };
    case 'stop':
      stopping = true;
      await writesDone;
      return { ops };
    case 'verify':
      return verify();
    case 'causal':
      return causal(command.durationMs);
    case 'contend':
      return contend(command.rounds, command.sid);
    case 'prune':
      try {
        return { removed: await stores.main!.cleanExpired() };
      } catch (error) {
        record('prune', error);
        return { removed: -1 };
      }
    case 'first': {
      // The very first operation of a freshly started instance.
      const sid = `${config.id}-first`;
      const set = await attempt('set', () => stores.main!.set(sid, session({ n: 1 })));
      const found = set === failed ? failed : await attempt('get', () => stores.main!.get(sid));
      return { ok: set !== failed && found !== failed && n(found) === 1 };
    }
    case 'unicode': {
      // Non-Latin text, emoji included (4-byte UTF-8), must come back as it was written.
      const text = 'Grüße, 会话, сессия, ✓ 🍪';
      const sid = `${config.id}-unicode`;
      const set = await attempt('set', () => stores.main!.set(sid, session({ text })));
      const found = set === failed ? failed : await attempt('get', () => stores.main!.get(sid));
      return { ok: found !== failed && (found as { text?: unknown } | null)?.text === text };
    }
    case 'hang':
      return hang(command.writers, command.durationMs, command.sid);
    case 'exit':
      for (const store of Object.values(stores)) await store.close().catch(() => {});
      for (const sequelize of Object.values(sequelizes)) await sequelize.close().catch(() => {});
      setImmediate(() => process.exit(0));
      return {};
  }
}

process.on('message', (message: { config?: AppConfig; command?: Command; seq: number }) => {
  void (async () => {
    let reply: unknown;
    if (message.config) {
      config = message.config;
      for (const [name, endpoint] of Object.entries(config.endpoints)) {
        sequelizes[name] = connect(config, endpoint, name === 'main' ? config.replica : undefined);
        stores[name] = new SequelizeSessionStore({
          sequelize: sequelizes[name],
          tableName: config.table,
          expiration: { interval: false },
          operationTimeout: config.operationTimeout ?? 5_000,
        });
      }
      reply = { ready: true };
    } else {
      reply = await handle(message.command!);
    }
    const recorded = errors.splice(0);
    process.send!({ seq: message.seq, reply, errors: recorded });
  })().catch((error: unknown) => process.send!({ seq: message.seq, fatal: String((error as Error)?.stack ?? error) }));
});
// Nothing of this process may outlive the orchestrator.
process.on('disconnect', () => process.exit(0));
