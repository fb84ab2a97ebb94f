/**
 * Prune: a table of N sessions, half of them expired. Measures this store's `get` latency
 * (p50/p99, 4 in flight, live sessions) when idle and while `cleanExpired()` runs; and the total
 * time of `cleanExpired()` against one plain `DELETE … WHERE expire < now` on the same rows (each
 * run alone, after reloading the expired half). For reference, get latency during the plain DELETE too.
 */
import type { Db } from '../lib/config.js';
import { percentile } from '../lib/stats.js';
import { makeSession, ops, type Contender, type Opened } from '../contenders/types.js';

export interface PruneResult {
  db: Db;
  rows: number;
  expired: number;
  idle: { p50: number; p99: number; samples: number };
  duringPrune: { p50: number; p99: number; samples: number };
  duringDelete: { p50: number; p99: number; samples: number };
  /** ms, alone */
  pruneTime: number;
  deleteTime: number;
  /** rows removed by cleanExpired() */
  pruned: number;
}

const GETTERS = 4;

/** Dialect SQL to bulk-load `count` sessions named `${prefix}<i>`, expired (past) or live (future). */
function loadSql(db: Db, table: string, prefix: string, count: number, expired: boolean): string {
  if (db === 'postgres') {
    const expire = expired ? `now() - (g % 3600 + 1) * interval '1 second'` : `now() + interval '1 day' + (g % 3600) * interval '1 second'`;
    return `INSERT INTO ${table} (sid, sess, expire) SELECT '${prefix}' || g, $1::text, ${expire} FROM generate_series(1, ${count}) g`;
  }
  if (db === 'mariadb') {
    const expire = expired ? `NOW(6) - INTERVAL (seq % 3600 + 1) SECOND` : `NOW(6) + INTERVAL 1 DAY + INTERVAL (seq % 3600) SECOND`;
    return `INSERT INTO ${table} (sid, sess, expire) SELECT CONCAT('${prefix}', seq), $1, ${expire} FROM seq_1_to_${count}`;
  }
  const shift = expired ? `'-' || (x % 3600 + 1) || ' seconds'` : `'+' || (86400 + x % 3600) || ' seconds'`;
  return (
    `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${count}) ` +
    `INSERT INTO ${table} (sid, sess, expire) SELECT '${prefix}' || x, $1, strftime('%Y-%m-%d %H:%M:%f', 'now', ${shift}) || ' +00:00' FROM c`
  );
}

function plainDelete(db: Db, table: string): string {
  if (db === 'postgres') return `DELETE FROM ${table} WHERE expire < now()`;
  if (db === 'mariadb') return `DELETE FROM ${table} WHERE expire < NOW(6)`;
  return `DELETE FROM ${table} WHERE expire < strftime('%Y-%m-%d %H:%M:%f', 'now') || ' +00:00'`;
}

/** Gets of live sessions, GETTERS in flight, until `until` settles (or for `ms`); resolves to latencies. */
async function getLatencies(o: Opened, live: number, until: Promise<unknown> | number): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  if (typeof until === 'number') setTimeout(() => (done = true), until);
  else until.finally(() => (done = true)).catch(() => undefined);
  await Promise.all(
    Array.from({ length: GETTERS }, async () => {
      while (!done) {
        const sid = `live${1 + Math.floor(Math.random() * live)}`;
        const start = performance.now();
        const found = await ops.get(o.store, sid);
        latencies.push(performance.now() - start);
        if (!found) throw new Error(`prune: live session ${sid} not found`);
      }
    }),
  );
  return latencies;
}

const summary = (latencies: number[]) => ({
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
  samples: latencies.length,
});

export async function pruneScenario(db: Db, thisStore: Contender, rows: number, log: (line: string) => void, idleMs = 2_000): Promise<PruneResult> {
  const o = await thisStore.open(db, { table: 'bench_prune' });
  const table = 'bench_prune';
  const half = rows / 2;
  const sess = JSON.stringify(makeSession(Date.now() + 86_400_000));
  const sql = (text: string, bind?: unknown[]) => o.sql!(text, bind);
  const reloadExpired = async () => {
    const start = performance.now();
    await sql(loadSql(db, table, 'dead', half, true), [sess]);
    if (db === 'postgres') await sql(`ANALYZE ${table}`);
    log(`  prune ${db}: loaded ${half} expired rows in ${Math.round(performance.now() - start)} ms`);
  };
  const timed = async (run: () => Promise<unknown>) => {
    const start = performance.now();
    await run();
    return performance.now() - start;
  };
  try {
    await o.reset();
    await sql(loadSql(db, table, 'live', half, false), [sess]);
    await reloadExpired();
    // Warm-up, then idle latency.
    await getLatencies(o, half, 300);
    const idle = await getLatencies(o, half, idleMs);
    // Latency during this store's prune.
    let pruned = 0;
    const prune = o.prune!().then((n) => (pruned = n));
    const duringPrune = await getLatencies(o, half, prune);
    await prune;
    if (pruned !== half) log(`  prune ${db}: cleanExpired() removed ${pruned}, expected ${half}`);
    // Each alone: cleanExpired() vs one plain DELETE.
    await reloadExpired();
    const pruneTime = await timed(() => o.prune!());
    await reloadExpired();
    const deleteTime = await timed(() => sql(plainDelete(db, table)));
    // Reference: latency during the plain DELETE.
    await reloadExpired();
    const del = sql(plainDelete(db, table));
    const duringDelete = await getLatencies(o, half, del);
    await del;
    return {
      db, rows, expired: half, idle: summary(idle), duringPrune: summary(duringPrune), duringDelete: summary(duringDelete),
      pruneTime, deleteTime, pruned,
    };
  } finally {
    await o.reset().catch(() => undefined);
    await o.close();
  }
}
