/**
 * `npm run bench [-- --quick] [--db=sqlite,postgres,mariadb] [--scenario=store,http,prune,soak]
 *   [--contenders=sss-v6,raw,…] [--rounds=N] [--per-op=N] [--soak-ops=N] [--time-failing] [--write=BENCHMARKS.md]`
 *
 * Compares this store with connect-session-sequelize, connect-pg-simple, express-mysql-session,
 * the raw driver floor and MemoryStore on the same databases, and prints ratios to the raw floor.
 */
import './lib/no-source-maps.js';
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { CONTENDERS, byId, type Contender } from './contenders/index.js';
import { checkContender } from './contenders/types.js';
import { ALL_DBS, ensureDatabases, serverVersions, type Db } from './lib/config.js';
import { fullReport, type Results } from './report.js';
import { countStatements, storeScenario } from './scenarios/store.js';
import { httpScenario } from './scenarios/http.js';
import { pruneScenario } from './scenarios/prune.js';
import { soakScenario } from './scenarios/soak.js';

const SCENARIOS = ['store', 'http', 'prune', 'soak'] as const;
const USAGE =
  'npm run bench [-- --quick] [--db=sqlite,postgres,mariadb] [--scenario=store,http,prune,soak]\n' +
  '  [--contenders=sss-v6,raw,…] [--rounds=N] [--per-op=N] [--prune-rows=N] [--soak-ops=N] [--time-failing] [--write=BENCHMARKS.md]\n' +
  'Builds the package, then times dist/ against the contenders; --quick is a short run for iterating.';
const NOTES_MARKER = '<!-- notes: kept by --write -->';

function parseArgs(argv: string[]) {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`Unknown argument ${arg}`);
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const list = (name: string, all: readonly string[]) => {
    const value = flags.get(name);
    if (!value) return [...all];
    const picked = value.split(',').map((v) => v.trim()).filter(Boolean);
    for (const p of picked) if (!all.includes(p)) throw new Error(`--${name}: unknown ${p} (expected ${all.join(', ')})`);
    return picked;
  };
  if (flags.has('help')) {
    // Any other flag starts a run (a full one takes minutes): --help only prints the usage.
    console.log(USAGE);
    process.exit(0);
  }
  const quick = flags.has('quick');
  return {
    quick,
    dbs: list('db', ALL_DBS) as Db[],
    scenarios: list('scenario', SCENARIOS),
    contenders: list('contenders', CONTENDERS.map((c) => c.id)),
    // Medians of many interleaved rounds: on two cores shared with the servers, a store cell of
    // 1,000 operations (a tenth of a second on a networked database) swung by up to 0.3 between
    // runs of unchanged code; 3,000 operations × 15 rounds held merge's cells within ±0.08.
    storeRounds: Number(flags.get('rounds') ?? (quick ? 2 : 15)),
    httpRounds: Number(flags.get('rounds') ?? (quick ? 1 : 5)),
    perOp: Number(flags.get('per-op') ?? (quick ? 150 : 3000)),
    pruneRows: Number(flags.get('prune-rows') ?? (quick ? 20_000 : 200_000)),
    timeFailing: flags.has('time-failing'),
    soakOps: Number(flags.get('soak-ops') ?? (quick ? 60_000 : 1_000_000)),
    write: flags.get('write'),
  };
}

const t0 = Date.now();
const log = (line: string) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);

function packageVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const unreachable = await ensureDatabases(args.dbs);
  for (const [db, reason] of unreachable) log(`!!! ${db} is NOT reachable (${reason}): skipped !!!`);
  const dbs = args.dbs.filter((db) => !unreachable.has(db));
  const wanted = CONTENDERS.filter((c) => args.contenders.includes(c.id) || c.floor);

  const results: Results = { checks: [], store: [], http: [], prune: [], soak: undefined, labels: Object.fromEntries(CONTENDERS.map((c) => [c.id, c.label])) };
  const timed = new Map<Db, Contender[]>();
  for (const db of dbs) {
    const ok: Contender[] = [];
    for (const c of wanted.filter((x) => x.supports(db))) {
      let failure: string | undefined;
      try {
        const o = await c.open(db, { table: `bench_check_${c.id.replace('-', '_')}` });
        failure = await checkContender(o.store);
        await o.reset();
        await o.close();
      } catch (error) {
        failure = `could not open: ${(error as Error).message}`;
      }
      results.checks.push({ db, contender: c.id, label: c.label, failure });
      if (failure) log(`  check ${db} ${c.id}: FAILED (${failure})${args.timeFailing ? ', timed anyway (--time-failing)' : ', not timed'}`);
      if (!failure || args.timeFailing) ok.push(c);
    }
    timed.set(db, ok);
  }

  for (const db of dbs) {
    const contenders = timed.get(db)!;
    if (args.scenarios.includes('store')) {
      log(`store level on ${db}: ${contenders.map((c) => c.id).join(', ')}`);
      const result = await storeScenario(db, contenders, { rounds: args.storeRounds, perOp: args.perOp, log });
      // Counting statements is not timing: connect-session-sequelize is counted even when it failed the check.
      const counted = wanted.filter((c) => c.id.startsWith('sss') || c.id === 'css');
      result.statements = await countStatements(db, counted);
      results.store.push(result);
    }
    if (args.scenarios.includes('http')) {
      log(`http on ${db}`);
      results.http.push(await httpScenario(db, contenders.filter((c) => !c.storeOnly), { rounds: args.httpRounds, quick: args.quick, log }));
    }
    if (args.scenarios.includes('prune') && contenders.some((c) => c.id === 'sss-v6')) {
      log(`prune on ${db}: ${args.pruneRows} rows`);
      results.prune.push(await pruneScenario(db, byId('sss-v6'), args.pruneRows, log, args.quick ? 800 : 3_000));
    }
  }

  if (args.scenarios.includes('soak')) {
    const soaked = dbs.flatMap((db) => timed.get(db)!.filter((c) => c.id.startsWith('sss')).map((contender) => ({ db, contender })));
    log(`soak: ${args.soakOps.toLocaleString('en-US')} mixed operations over ${soaked.map(({ db, contender }) => `${contender.id} ${db}`).join(', ')}`);
    if (soaked.length > 0) results.soak = await soakScenario(soaked, args.soakOps, log);
  }

  const report = fullReport(results);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\n${report}\n\n(${args.quick ? 'quick run' : 'full run'}: ${seconds} s)`);

  if (args.write) {
    const versions = await serverVersions(dbs);
    const packages = [
      'sequelize', '@sequelize/core', 'connect-session-sequelize', 'connect-pg-simple', 'express-mysql-session', 'express',
      'express-session', 'autocannon', 'pg', 'mariadb', 'mysql2', 'sqlite3',
    ];
    const cpus = os.cpus();
    let commit = 'unknown';
    try {
      const git = (cmd: string) => execSync(cmd, { cwd: join(__dirname, '..'), encoding: 'utf8' }).trim();
      commit = `${git('git rev-parse --short HEAD')}${git('git status --porcelain -- src') ? ' (src/ with uncommitted changes)' : ''}`;
    } catch {
      // not a git checkout
    }
    const header = [
      '# Benchmarks',
      '',
      `Generated by \`npm run bench -- ${process.argv.slice(2).join(' ')}\` on ${new Date().toISOString().slice(0, 10)} (${seconds} s).`,
      '',
      `- Store: dist/ built from commit ${commit}`,
      `- Machine: ${cpus.length} cores (${cpus[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB memory, ${os.type()} ${os.release()}`,
      `- Node ${process.version}; ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `- Packages: ${packages.map((p) => `${p} ${packageVersion(p)}`).join(', ')}`,
      `- Settings: store level ${args.storeRounds} rounds × ${args.perOp} operations per op, 16 in flight; HTTP ${args.httpRounds} rounds, ` +
        `${args.quick ? '0.5 s' : '2 s'} per run, 32 connections (page load: 4 users × (1 page + 20 assets)); prune ${args.pruneRows.toLocaleString('en-US')} rows; soak ${args.soakOps.toLocaleString('en-US')} operations. ` +
        'Every pool holds 8 connections (SQLite: one connection per contender, WAL).',
      '',
    ].join('\n');
    // Hand-written notes (the profile summary) below the marker survive a regeneration.
    let notes = '';
    try {
      const previous = readFileSync(args.write, 'utf8');
      const at = previous.indexOf(NOTES_MARKER);
      if (at >= 0) notes = `\n${previous.slice(at)}`;
    } catch {
      // no previous file
    }
    writeFileSync(args.write, `${header}\n${report}\n${notes}`);
    log(`wrote ${args.write}`);
  }
  // Pools and timers of the contenders are closed; anything left over must not keep the run alive.
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
