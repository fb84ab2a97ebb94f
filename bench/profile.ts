/**
 * Profiling helper: runs one operation of this store (or the raw floor) in a loop, 16 in flight,
 * for `node --cpu-prof`, then summarise the profile with bench/profile-summary.ts:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts --db=postgres --op=get --n=20000
 *   npx tsx bench/profile-summary.ts /tmp/prof/<file>.cpuprofile
 */
import './lib/no-source-maps.js';
import { byId } from './contenders/index.js';
import { ensureDatabases, type Db } from './lib/config.js';
import { makeSession, ops } from './contenders/types.js';

async function main(): Promise<void> {
  const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const db = (args.db ?? 'postgres') as Db;
  const op = args.op ?? 'get';
  const n = Number(args.n ?? 20_000);
  await ensureDatabases([db]);
  const o = await byId(args.contender ?? 'sss-v6').open(db, { table: 'bench_profile' });
  await o.reset();
  const sid = (i: number) => `prof-${i % 2000}-bench-session-id-padding-32c`;
  for (let i = 0; i < 2000; i++) await ops.set(o.store, sid(i), makeSession(Date.now() + 86_400_000, i));
  let next = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        if (op === 'get') await ops.get(o.store, sid(i));
        else if (op === 'set') await ops.set(o.store, sid(i), makeSession(Date.now() + 86_400_000, i));
        else if (op === 'touch') await ops.touch(o.store, sid(i), makeSession(Date.now() + 86_400_000 + i, i));
        else throw new Error(`unknown op ${op}`);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  // CPU per operation (all threads) holds still on a loaded machine, where ops/s does not.
  const perOp = (used.user + used.system) / n;
  console.log(`${args.contender ?? 'sss-v6'} ${db} ${op}: ${Math.round(n / ((performance.now() - start) / 1000))} ops/s, ${perOp.toFixed(1)} µs CPU per operation`);
  await o.reset();
  await o.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
