/**
 * CPU time per operation of each hot operation (get hit, get miss, set, touch, destroy) of one
 * contender on one database, 16 in flight: unlike ops/s, it holds still on a loaded machine.
 * Counts the whole process (the driver's and SQLite's threads too), not the database server.
 *
 *   npm run build && npx tsx bench/cpu.ts --contender=sss-v6,raw --db=sqlite,postgres --n=5000 [--rounds=3]
 *
 * With --server, the database server's CPU per operation too (PostgreSQL and MariaDB on this machine,
 * read from /proc), and the sum: on two cores shared with the server, that sum is what throughput follows.
 *
 * With --profile=FILE.cpuprofile, the timed operations alone are profiled (bench/profile-summary.ts reads it).
 * With --baseline=DIR (another build's dist/), contenders base-v6 and base-v7 run that build in the
 * same rounds: before/after figures from one process, under the same load.
 */
import './lib/no-source-maps.js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { byId } from './contenders/index.js';
import { baselineContenders } from './contenders/this-store.js';
import { ensureDatabases, type Db } from './lib/config.js';
import { makeSession, ops } from './contenders/types.js';
import type { Opened } from './contenders/types.js';

const OPS = ['get-hit', 'get-miss', 'set', 'touch', 'destroy'] as const;
type Op = (typeof OPS)[number];

const DAY = 86_400_000;
const hit = (i: number) => `cpu-${i}-bench-session-id-padding-32chars`;
const miss = (i: number) => `none-${i}-bench-session-id-padding-32chars`;

async function inFlight(n: number, run: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) await run(next++);
    }),
  );
}

const TICK_US = 1_000_000 / 100;

/** CPU time in µs of the database server's processes (every backend of PostgreSQL), from /proc; 0 for SQLite. */
function serverCpu(db: Db): number {
  if (db === 'sqlite') return 0;
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-x', db === 'postgres' ? 'postgres' : 'mariadbd'], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return 0;
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks * TICK_US;
}

/** µs of CPU per operation over n operations (rows for the reads and writes set up beforehand, untimed): this process's and the server's. */
async function measure(o: Opened, db: Db, op: Op, n: number, profile?: string): Promise<[number, number]> {
  const expires = Date.now() + DAY;
  const run: Record<Op, (i: number) => Promise<unknown>> = {
    'get-hit': (i) => ops.get(o.store, hit(i % 1000)),
    'get-miss': (i) => ops.get(o.store, miss(i)),
    set: (i) => ops.set(o.store, hit(i % 1000), makeSession(expires, i)),
    touch: (i) => ops.touch(o.store, hit(i % 1000), makeSession(expires + i, i)),
    destroy: (i) => ops.destroy(o.store, hit(i)),
  };
  await inFlight(op === 'destroy' ? n : 1000, (i) => ops.set(o.store, hit(i), makeSession(expires, i)));
  // Warm-up: statements built, connections open, code optimised.
  await inFlight(500, run[op === 'destroy' ? 'get-hit' : op]);
  const inspector = profile === undefined ? undefined : new Session();
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const server = serverCpu(db);
  const cpu = process.cpuUsage();
  await inFlight(n, run[op]);
  const used = process.cpuUsage(cpu);
  const serverUsed = serverCpu(db) - server;
  if (inspector) {
    const { profile: taken } = await inspector.post('Profiler.stop');
    writeFileSync(profile!, JSON.stringify(taken));
    inspector.disconnect();
  }
  return [(used.user + used.system) / n, serverUsed / n];
}

async function main(): Promise<void> {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const dbs = (args.db ?? 'sqlite,postgres,mariadb').split(',') as Db[];
  const contenders = (args.contender ?? 'raw,sss-v6,sss-v7').split(',');
  const n = Number(args.n ?? 5000);
  const rounds = Number(args.rounds ?? 3);
  const wanted = (args.op ?? OPS.join(',')).split(',') as Op[];
  const withServer = 'server' in args;
  await ensureDatabases(dbs);
  if (withServer) console.log('Each cell: this process + the server = µs of CPU per operation.\n');
  console.log(`| db | contender | ${wanted.join(' | ')} |`);
  console.log(`|---|---|${wanted.map(() => '---:').join('|')}|`);
  for (const db of dbs) {
    const opened = new Map<string, Opened>();
    for (const id of contenders) {
      const table = `bench_cpu_${id.replace('-', '_')}`;
      const contender = id.startsWith('base-') ? baselineContenders(args.baseline!).find((c) => c.id === id)! : byId(id);
      opened.set(id, await contender.open(db, { table }));
    }
    const best = new Map<string, [number, number]>();
    // Rounds interleave the contenders, so that a burst of load elsewhere falls on all of them alike.
    for (let r = 0; r < rounds; r++) {
      for (const op of wanted) {
        for (const [id, o] of opened) {
          await o.reset();
          const cpu = await measure(o, db, op, n, args.profile);
          // The least disturbed round: other processes can only add CPU (caches, migrations), never take it.
          const key = `${id} ${op}`;
          const before = best.get(key);
          if (before === undefined || cpu[0] + cpu[1] < before[0] + before[1]) best.set(key, cpu);
        }
      }
    }
    for (const [id, o] of opened) {
      const cell = (op: Op) => {
        const [own, server] = best.get(`${id} ${op}`)!;
        return withServer && db !== 'sqlite' ? `${own.toFixed(0)} + ${server.toFixed(0)} = ${(own + server).toFixed(0)}` : own.toFixed(1);
      };
      console.log(`| ${db} | ${id} | ${wanted.map(cell).join(' | ')} |`);
      await o.reset();
      await o.close();
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
