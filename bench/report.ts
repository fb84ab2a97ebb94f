/** Tables (Markdown, readable in a terminal) and the issue's targets, marked met or not. */
import type { Db } from './lib/config.js';
import { median } from './lib/stats.js';
import { COALESCE_ROWS, STORE_OPS, type StoreResult } from './scenarios/store.js';
import { HTTP_SCENARIOS, type HttpResult } from './scenarios/http.js';
import type { PruneResult } from './scenarios/prune.js';
import type { SoakResult } from './scenarios/soak.js';

export interface CheckResult {
  db: Db;
  contender: string;
  label: string;
  failure: string | undefined;
}

export interface Results {
  checks: CheckResult[];
  store: StoreResult[];
  http: HttpResult[];
  prune: PruneResult[];
  soak: SoakResult | undefined;
  labels: Record<string, string>;
}

const fmtRatio = (r: number) => (Number.isFinite(r) ? r.toFixed(2) : '—');
const fmtRate = (r: number) => (Number.isFinite(r) ? Math.round(r).toLocaleString('en-US') : '—');
const fmtMs = (ms: number) => (Number.isFinite(ms) ? (ms < 10 ? ms.toFixed(2) : ms.toFixed(1)) : '—');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Per-round ratios to the floor (same round), and their median. */
export function ratio(rates: Record<string, number[]>, key: string, floor = 'raw'): number {
  const mine = rates[key];
  const base = rates[floor];
  if (!mine || !base) return Number.NaN;
  return median(mine.map((r, i) => r / (base[i] ?? Number.NaN)));
}

function ratioTo(rates: Record<string, number[]>, key: string, other: string): number {
  return ratio(rates, key, other);
}

export function storeTables(results: Results): string {
  const out: string[] = [];
  for (const s of results.store) {
    const ids = Object.keys(s.rates[STORE_OPS[0]]!);
    const rows = ids.map((id) => [
      results.labels[id] ?? id,
      ...STORE_OPS.map((op) => `${fmtRatio(ratio(s.rates[op]!, id))} (${fmtRate(median(s.rates[op]![id]!))})`),
    ]);
    out.push(`### Store level, ${s.db}: ratio to the raw floor (median ops/s), 16 in flight\n\n${table(['contender', ...STORE_OPS], rows)}`);
  }
  return out.join('\n\n');
}

export function statementTables(results: Results): string {
  const out: string[] = [];
  for (const s of results.store) {
    const ids = Object.keys(s.statements);
    if (ids.length === 0) continue;
    const columns = [...STORE_OPS, ...COALESCE_ROWS];
    const rows = ids.map((id) => [results.labels[id] ?? id, ...columns.map((c) => String(+(s.statements[id]![c] ?? Number.NaN).toFixed(2)))]);
    out.push(`### SQL statements per operation, ${s.db} (Sequelize \`logging\`)\n\n${table(['contender', ...columns], rows)}`);
  }
  return out.join('\n\n');
}

export function httpTables(results: Results): string {
  const out: string[] = [];
  for (const h of results.http) {
    const rows = h.entries.map((e) => [
      e.label,
      ...HTTP_SCENARIOS.map((s) => {
        const rates = h.rates[s]!;
        if (!rates[e.key]) return '—';
        const st = h.statements[s]![e.key];
        return `${fmtRatio(ratio(rates, e.key))} (${fmtRate(median(rates[e.key]!))}${st === undefined ? '' : `, ${+st.toFixed(2)} stmt`})`;
      }),
    ]);
    out.push(
      `### HTTP, ${h.db}: ratio to the raw-floor app (median req/s; page loads/s for page load; SQL statements per request / per page load)\n\n` +
        table(['app', ...HTTP_SCENARIOS], rows) +
        (h.failures > 0 ? `\n\n**${h.failures} failed requests** (non-2xx or errors) during the HTTP runs.` : ''),
    );
  }
  return out.join('\n\n');
}

export function pruneTable(results: Results): string {
  if (results.prune.length === 0) return '';
  const rows = results.prune.map((p) => [
    p.db,
    `${p.rows.toLocaleString('en-US')} (${p.expired.toLocaleString('en-US')} expired)`,
    `${fmtMs(p.idle.p50)} / ${fmtMs(p.idle.p99)}`,
    `${fmtMs(p.duringPrune.p50)} / ${fmtMs(p.duringPrune.p99)} (n=${p.duringPrune.samples})`,
    `${fmtMs(p.duringDelete.p50)} / ${fmtMs(p.duringDelete.p99)} (n=${p.duringDelete.samples})`,
    fmtMs(p.pruneTime),
    fmtMs(p.deleteTime),
    fmtRatio(p.pruneTime / p.deleteTime),
  ]);
  return (
    '### Prune: this store (v6), `get` latency in ms (p50 / p99, 4 in flight) and total times in ms\n\n' +
    table(['db', 'rows', 'get idle', 'get during cleanExpired()', 'get during one DELETE', 'cleanExpired() ms', 'one DELETE ms', 'prune / DELETE'], rows)
  );
}

const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const counts = (c: { size: number; using: number; waiting: number }) => `${c.size} open, ${c.using} lent, ${c.waiting} waiting`;

export function soakTable(results: Results): string {
  const s = results.soak;
  if (s === undefined) return '';
  const growth = s.heapAfter / s.heapBefore - 1;
  return (
    `### Soak: ${s.operations.toLocaleString('en-US')} mixed operations in one process (${s.seconds.toFixed(0)} s, ${s.failures} failed)

` +
    `Heap after a full GC: ${MiB(s.heapBefore)} before, ${MiB(s.heapAfter)} after (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %).

` +
    table(['store', 'pool before', 'pool after'], s.pools.map((p) => [p.store, counts(p.before), counts(p.after)]))
  );
}

export function checkTable(results: Results): string {
  const rows = results.checks.map((c) => [c.db, c.label, c.failure ? `FAILED: ${c.failure} (not timed)` : 'passed']);
  return `### Correctness check before timing\n\n${table(['db', 'contender', 'check'], rows)}`;
}

export interface Target {
  name: string;
  /** 'measured': a figure shown beside the targets, with none of its own. */
  met: boolean | undefined | 'measured';
  detail: string;
}

const mark = (t: Target) => (t.met === 'measured' ? 'measured, no target' : t.met === undefined ? 'NOT EVALUATED' : t.met ? 'met' : 'NOT MET');

/** The single-database peer each networked database is measured against. */
const PEERS: Partial<Record<Db, string>> = { postgres: 'pg-simple', mariadb: 'mysql-session' };

export function targets(results: Results): Target[] {
  const list: Target[] = [];
  const majors = ['sss-v6', 'sss-v7'];
  for (const s of results.store) {
    const peer = PEERS[s.db];
    for (const id of majors) {
      if (!s.rates['get hit']![id]) continue;
      const r = STORE_OPS.map((op) => [op, ratio(s.rates[op]!, id)] as const);
      list.push({
        name: `store ${s.db} ${id}: every operation ≥ 0.95 of raw`,
        met: r.every(([, x]) => x >= 0.95),
        detail: r.map(([op, x]) => `${op} ${fmtRatio(x)}`).join(', '),
      });
      if (peer && s.rates['get hit']![peer]) {
        const v = STORE_OPS.map((op) => [op, ratioTo(s.rates[op]!, id, peer)] as const);
        list.push({
          name: `store ${s.db} ${id}: every operation ≥ ${results.labels[peer]}`,
          met: v.every(([, x]) => x >= 1),
          detail: v.map(([op, x]) => `${op} ${fmtRatio(x)}×`).join(', '),
        });
      }
    }
  }
  // Issue 14: a merging set against the whole write of the same sets, as express-session makes
  // them (a get, then a set of what it read). Sets of a made-up read, where every row changed since
  // its read, are the worst case: reported beside it, not a target (a merge there is real work).
  for (const s of results.store) {
    for (const [merging, whole, how, target] of [
      ['sss-v6-get-merge', 'sss-v6-get', 'get then set', true],
      ['sss-v6-merge', 'sss-v6-read', 'worst case, sets of a made-up read: every row changed', false],
    ] as const) {
      if (!s.rates['set new']![merging] || !s.rates['set new']![whole]) continue;
      const v = (['set new', 'set overwrite'] as const).map((op) => [op, ratioTo(s.rates[op]!, merging, whole)] as const);
      list.push({
        name: `store ${s.db} merge (${how}): sets ${target ? '≥ 0.9 of' : 'against'} the whole write`,
        met: target ? v.every(([, x]) => x >= 0.9) : 'measured',
        detail: v.map(([op, x]) => `${op} ${fmtRatio(x)}×`).join(', '),
      });
    }
  }
  for (const h of results.http) {
    const peer = PEERS[h.db];
    for (const id of majors) {
      for (const s of ['/write', '/read'] as const) {
        const rates = h.rates[s]!;
        if (!rates[id]) continue;
        if (h.db === 'sqlite') {
          const r = ratio(rates, id);
          list.push({ name: `http sqlite ${id}: ${s} ≥ 0.9 of raw app`, met: r >= 0.9, detail: fmtRatio(r) });
        } else if (peer && rates[peer]) {
          const vs = ratioTo(rates, id, peer);
          list.push({ name: `http ${h.db} ${id}: ${s} ≥ ${results.labels[peer]}`, met: vs >= 1, detail: `${fmtRatio(vs)}× (${fmtRatio(ratio(rates, id))} of raw app)` });
        }
      }
    }
  }
  if (results.soak) {
    const s = results.soak;
    const growth = s.heapAfter / s.heapBefore - 1;
    list.push({ name: 'soak: heap after GC within 5 % of the start', met: Math.abs(growth) <= 0.05, detail: `${MiB(s.heapBefore)} → ${MiB(s.heapAfter)} (${(growth * 100).toFixed(1)} %)` });
    const leaked = s.pools.filter((p) => p.after.using !== 0 || p.after.waiting !== 0 || p.after.size > Math.max(p.before.size, 8));
    list.push({
      name: 'soak: no pooled connection leaked',
      met: leaked.length === 0,
      detail: leaked.length === 0 ? 'every pool: nothing lent or waiting after, no more connections open than before or than its max' : leaked.map((p) => p.store).join(', '),
    });
  }
  for (const p of results.prune) {
    if (p.db === 'sqlite') {
      list.push({ name: `prune sqlite: get p99 ≤ 100 ms during cleanExpired()`, met: p.duringPrune.p99 <= 100, detail: `${fmtMs(p.duringPrune.p99)} ms` });
    } else {
      list.push({
        name: `prune ${p.db}: get p99 during cleanExpired() ≤ 2× idle p99`,
        met: p.duringPrune.p99 <= 2 * p.idle.p99,
        detail: `${fmtMs(p.duringPrune.p99)} ms vs idle ${fmtMs(p.idle.p99)} ms (${fmtRatio(p.duringPrune.p99 / p.idle.p99)}×)`,
      });
      list.push({
        name: `prune ${p.db}: cleanExpired() ≤ 2× one DELETE`,
        met: p.pruneTime <= 2 * p.deleteTime,
        detail: `${fmtMs(p.pruneTime)} ms vs ${fmtMs(p.deleteTime)} ms (${fmtRatio(p.pruneTime / p.deleteTime)}×)`,
      });
    }
  }
  return list;
}

export function targetTable(list: Target[]): string {
  return `### Targets (issues 10 and 14)\n\n${table(['target', 'result', 'measured'], list.map((t) => [t.name, mark(t), t.detail]))}`;
}

export function fullReport(results: Results): string {
  return [checkTable(results), storeTables(results), statementTables(results), httpTables(results), pruneTable(results), soakTable(results), targetTable(targets(results))]
    .filter(Boolean)
    .join('\n\n');
}
