/**
 * Store level: each operation with 16 in flight, straight on the Store API, interleaved across
 * contenders (A B C, A B C …, the start rotating each round). Throughput in ops/s, ratio to the raw
 * floor of the same round. Then, untimed, SQL statements per operation through Sequelize's logging.
 */
import type { Store } from 'express-session';
import type { Db } from '../lib/config.js';
import { rotate } from '../lib/stats.js';
import { makeSession, ops, type Contender, type Opened } from '../contenders/types.js';

export const STORE_OPS = ['set new', 'set overwrite', 'get hit', 'get miss', 'touch', 'destroy'] as const;
export type StoreOp = (typeof STORE_OPS)[number];

export interface StoreResult {
  db: Db;
  /** rates[op][contender id] = ops/s per round */
  rates: Record<string, Record<string, number[]>>;
  /** statements[contender id][row] = statements per operation */
  statements: Record<string, Record<string, number>>;
}

export const IN_FLIGHT = 16;

async function runConcurrent(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

const DAY = 86_400_000;

/** One operation over `n` sessions of round `tag`, 16 in flight; resolves to ops/s. */
function runOp(store: Store, op: StoreOp, tag: string, n: number, concurrency = IN_FLIGHT): Promise<number> {
  const sid = (i: number) => `${tag}-${i.toString(36)}-bench-session-id-padding-32c`;
  const base = Date.now();
  switch (op) {
    case 'set new':
      return runConcurrent(n, concurrency, (i) => ops.set(store, sid(i), makeSession(base + DAY, i)));
    case 'set overwrite':
      return runConcurrent(n, concurrency, (i) => ops.set(store, sid(i), makeSession(base + DAY + 1000, i + 1)));
    case 'get hit':
      return runConcurrent(n, concurrency, async (i) => {
        if (!(await ops.get(store, sid(i)))) throw new Error(`get hit: ${op} missed`);
      });
    case 'get miss':
      return runConcurrent(n, concurrency, async (i) => {
        if (await ops.get(store, `${sid(i)}-missing`)) throw new Error('get miss: found');
      });
    case 'touch':
      return runConcurrent(n, concurrency, (i) => ops.touch(store, sid(i), makeSession(base + DAY + 60_000, i + 1)));
    case 'destroy':
      return runConcurrent(n, concurrency, (i) => ops.destroy(store, sid(i)));
  }
}

export interface StoreScenarioOptions {
  rounds: number;
  perOp: number;
  log: (line: string) => void;
}

export async function storeScenario(db: Db, contenders: readonly Contender[], options: StoreScenarioOptions): Promise<StoreResult> {
  const { rounds, perOp, log } = options;
  const opened = new Map<string, Opened>();
  for (const c of contenders) opened.set(c.id, await c.open(db, { table: `bench_store_${c.id.replace('-', '_')}` }));
  const rates: StoreResult['rates'] = {};
  for (const op of STORE_OPS) rates[op] = Object.fromEntries(contenders.map((c) => [c.id, [] as number[]]));
  try {
    // Warm-up (JIT, pools, statement caches), untimed.
    for (const c of contenders) {
      const { store } = opened.get(c.id)!;
      for (const op of STORE_OPS) await runOp(store, op, 'warm', Math.max(50, perOp >> 2));
      await opened.get(c.id)!.reset();
    }
    for (let round = 0; round < rounds; round++) {
      const order = rotate(contenders, round);
      for (const c of order) await opened.get(c.id)!.reset();
      for (const op of STORE_OPS) {
        for (const c of order) rates[op]![c.id]!.push(await runOp(opened.get(c.id)!.store, op, `r${round}`, perOp));
      }
      log(`  store ${db}: round ${round + 1}/${rounds} done`);
    }
  } finally {
    for (const o of opened.values()) {
      await o.reset().catch(() => undefined);
      await o.close().catch(() => undefined);
    }
  }
  return { db, rates, statements: {} };
}

/** Rows of the statements table, beyond the six operations. */
export const COALESCE_ROWS = ['20 concurrent gets of one sid', 'touch inside touchAfter (60 s)'] as const;

/** SQL statements per operation, counted through Sequelize's `logging` (untimed, sequential). */
export async function countStatements(db: Db, contenders: readonly Contender[], n = 20): Promise<Record<string, Record<string, number>>> {
  const result: Record<string, Record<string, number>> = {};
  for (const c of contenders) {
    const o = await c.open(db, { table: `bench_count_${c.id.replace('-', '_')}`, countStatements: true });
    const row: Record<string, number> = {};
    try {
      await o.reset();
      for (const op of STORE_OPS) {
        const before = o.statements();
        await runOp(o.store, op, 'count', n, 1);
        row[op] = (o.statements() - before) / n;
      }
      // Coalescing: 20 concurrent gets of one session (a page's assets).
      const sid = 'count-coalesce-sid';
      await ops.set(o.store, sid, makeSession(Date.now() + DAY));
      const before = o.statements();
      await Promise.all(Array.from({ length: 20 }, () => ops.get(o.store, sid)));
      row[COALESCE_ROWS[0]] = o.statements() - before;
      await o.reset();
    } finally {
      await o.close().catch(() => undefined);
    }
    // A touch that moves the expiry by a few seconds, right after a set (the store knows the expiry);
    // stores without touchAfter write anyway.
    const t = await c.open(db, { table: `bench_count_${c.id.replace('-', '_')}`, countStatements: true, touchAfter: 60_000 });
    try {
      const sid = 'count-touch-after-sid';
      await ops.set(t.store, sid, makeSession(Date.now() + DAY));
      const before = t.statements();
      await ops.touch(t.store, sid, makeSession(Date.now() + DAY + 5_000));
      row[COALESCE_ROWS[1]] = t.statements() - before;
      await t.reset();
    } finally {
      await t.close().catch(() => undefined);
    }
    result[c.id] = row;
  }
  return result;
}
