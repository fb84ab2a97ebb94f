/**
 * Soak: a long run of mixed operations in this one process, on every store opened (each major ×
 * database), interleaved in chunks, over a bounded set of session ids (the table stays the same
 * size). Before and after: the heap after a full GC, and each Sequelize pool's connections (open,
 * lent out, waiting), so that a leak of memory or of pooled connections shows.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Db } from '../lib/config.js';
import { makeSession, ops, type Contender, type Opened } from '../contenders/types.js';

export interface PoolCounts {
  size: number;
  using: number;
  waiting: number;
}

export interface SoakResult {
  operations: number;
  seconds: number;
  heapBefore: number;
  heapAfter: number;
  pools: Array<{ store: string; before: PoolCounts; after: PoolCounts }>;
  failures: number;
}

/** A full collection, without starting node with --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    for (let i = 0; i < 3; i++) gc();
  };
}

function poolCounts(sequelize: any): PoolCounts {
  // v7: sequelize.pool; v6: connectionManager.pool (write side under replication). v6 SQLite has
  // no pool: one shared connection per file.
  const manager = sequelize.pool ? undefined : sequelize.connectionManager;
  if (manager?.connections) return { size: Object.keys(manager.connections).length, using: 0, waiting: 0 };
  const pool = sequelize.pool?.write ?? manager?.pool?.write ?? manager?.pool;
  return { size: pool?.size ?? 0, using: pool?.using ?? 0, waiting: pool?.waiting ?? 0 };
}

const SIDS = 10_000;
const IN_FLIGHT = 32;
const CHUNK = 2_000;
const DAY = 86_400_000;

/** One chunk of mixed operations: 60 % get, 20 % set, 10 % touch, 5 % destroy, 5 % get of a missing id. */
async function chunk(store: Opened['store'], start: number, count: number): Promise<number> {
  let next = start;
  const end = start + count;
  let failures = 0;
  const base = Date.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < end) {
        const i = next++;
        const sid = `soak-${(i * 7919) % SIDS}-session-id-padding-32chars`;
        const pick = i % 20;
        try {
          if (pick < 12) await ops.get(store, sid);
          else if (pick < 16) await ops.set(store, sid, makeSession(base + DAY, i));
          else if (pick < 18) await ops.touch(store, sid, makeSession(base + DAY + 60_000, i));
          else if (pick < 19) await ops.destroy(store, sid);
          else await ops.get(store, `${sid}-missing`);
        } catch {
          failures++;
        }
      }
    }),
  );
  return failures;
}

export async function soakScenario(
  targets: ReadonlyArray<{ db: Db; contender: Contender }>,
  operations: number,
  log: (line: string) => void,
): Promise<SoakResult> {
  const gc = collector();
  const opened: Array<{ name: string; o: Opened; sequelize: any }> = [];
  for (const { db, contender } of targets) {
    const o = await contender.open(db, { table: `bench_soak_${contender.id.replace('-', '_')}` });
    await o.reset();
    opened.push({ name: `${contender.id} ${db}`, o, sequelize: o.sequelize });
  }
  try {
    // Warm-up: every table filled, every pool opened, the JIT settled.
    for (const { o } of opened) await chunk(o.store, 0, SIDS);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const before = opened.map(({ sequelize }) => poolCounts(sequelize));
    const started = performance.now();
    let done = 0;
    let failures = 0;
    let reported = 0;
    while (done < operations) {
      for (const { o } of opened) {
        const count = Math.min(CHUNK, operations - done);
        if (count <= 0) break;
        failures += await chunk(o.store, done, count);
        done += count;
      }
      if (done - reported >= 100_000) {
        reported = done;
        log(`  soak: ${done.toLocaleString('en-US')} operations, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    const after = opened.map(({ sequelize }) => poolCounts(sequelize));
    return {
      operations: done,
      seconds,
      heapBefore,
      heapAfter,
      pools: opened.map(({ name }, i) => ({ store: name, before: before[i]!, after: after[i]! })),
      failures,
    };
  } finally {
    for (const { o } of opened) {
      await o.reset().catch(() => undefined);
      await o.close().catch(() => undefined);
    }
  }
}
