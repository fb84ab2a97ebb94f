/**
 * HTTP end to end: each contender's Express 5 + express-session app in its own process, loaded with
 * autocannon (32 connections) on /write (get + set) and /read (get + touch), and with page loads
 * (/page, then 20 parallel asset requests carrying the same cookie). Interleaved rounds, rotating.
 * This store runs twice on page loads: defaults, and touchAfter = 60 s (coalescing + touch throttling).
 */
import type { Db } from '../lib/config.js';
import { rotate } from '../lib/stats.js';
import type { Contender } from '../contenders/types.js';
import { cannon, login, pageLoads, startApps, type App, type Apps } from '../http/client.js';

export const HTTP_SCENARIOS = ['/write', '/read', 'page load'] as const;
export type HttpScenario = (typeof HTTP_SCENARIOS)[number];

export const TOUCH_AFTER = 60_000;

export interface HttpEntry {
  key: string;
  contender: string;
  label: string;
  touchAfter: number;
  scenarios: readonly HttpScenario[];
}

export interface HttpResult {
  db: Db;
  entries: HttpEntry[];
  /** rates[scenario][entry key] per round: requests/s (/write, /read) or page loads/s */
  rates: Record<string, Record<string, number[]>>;
  /** statements per request (per page load for 'page load'), by scenario and entry key */
  statements: Record<string, Record<string, number>>;
  failures: number;
}

export interface HttpOptions {
  rounds: number;
  quick: boolean;
  log: (line: string) => void;
}


const PAGE_USERS = 4;

export async function httpScenario(db: Db, contenders: readonly Contender[], options: HttpOptions): Promise<HttpResult> {
  const { rounds, quick, log } = options;
  const entries: HttpEntry[] = [];
  const users = quick ? 32 : 256;
  // --quick: this store on Sequelize v6 only and no MemoryStore, to stay under a minute.
  for (const c of contenders.filter((x) => !quick || (x.id !== 'sss-v7' && x.id !== 'memory'))) {
    entries.push({ key: c.id, contender: c.id, label: c.label, touchAfter: 0, scenarios: HTTP_SCENARIOS });
    if (c.id.startsWith('sss')) {
      entries.push({ key: `${c.id}+ta`, contender: c.id, label: `${c.label} touchAfter 60 s`, touchAfter: TOUCH_AFTER, scenarios: ['page load'] });
    }
  }
  const apps = new Map<string, App>();
  const cookies = new Map<string, string[]>();
  const rates: HttpResult['rates'] = {};
  const statements: HttpResult['statements'] = {};
  for (const s of HTTP_SCENARIOS) {
    rates[s] = {};
    statements[s] = {};
  }
  let failures = 0;
  let child: Apps | undefined;
  try {
    child = await startApps(
      entries.map((e) => ({ contender: e.contender, db, table: `bench_http_${e.key.replace(/[-+]/g, '_')}`, touchAfter: e.touchAfter })),
    );
    entries.forEach((e, i) => apps.set(e.key, child!.apps[i]!));
    log(`  http ${db}: ${entries.length} apps started`);
    for (const e of entries) {
      const app = apps.get(e.key)!;
      cookies.set(e.key, await login(app.port, users));
      // Warm-up, untimed.
      if (!quick) await cannon(app.port, '/read', cookies.get(e.key)!, { duration: 1 });
      await pageLoads(app.port, cookies.get(e.key)!.slice(0, PAGE_USERS), { pages: quick ? 4 : 40 });
    }
    log(`  http ${db}: logged in and warmed up`);
    const load = async (e: HttpEntry, scenario: HttpScenario) => {
      const app = apps.get(e.key)!;
      const all = cookies.get(e.key)!;
      if (scenario === 'page load') return pageLoads(app.port, all.slice(0, PAGE_USERS), quick ? { pages: 8 } : { duration: 2 });
      return cannon(app.port, scenario, all, { duration: quick ? 0.5 : 2 });
    };
    for (let round = 0; round < rounds; round++) {
      for (const scenario of HTTP_SCENARIOS) {
        for (const e of rotate(entries.filter((x) => x.scenarios.includes(scenario)), round)) {
          const app = apps.get(e.key)!;
          const before = await app.statements();
          const result = await load(e, scenario);
          const after = await app.statements();
          failures += result.failures;
          (rates[scenario]![e.key] ??= []).push(result.rate);
          const units = scenario === 'page load' ? result.requests / 21 : result.requests;
          if (Number.isFinite(before)) statements[scenario]![e.key] = (after - before) / Math.max(1, units);
        }
      }
      log(`  http ${db}: round ${round + 1}/${rounds} done`);
    }
  } finally {
    await child?.close();
  }
  return { db, entries, rates, statements, failures };
}
