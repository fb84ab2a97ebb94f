// `npm run test:cluster [scenario …]`: starts each cluster setup on loopback (ports of its own,
// temporary data directories), runs the scenarios against it with Sequelize v6 and v7 app
// processes, prints the figures per setup and major, and stops every process it started by its
// PID, also after a failure. The shared servers on 5432/3306 only get databases of our own (fleet).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { App, exitAllApps, exitApps, startApps } from './apps.js';
import type { AppConfig, ErrorRecord } from './app.js';
import * as maria from './mariadb.js';
import * as patroni from './patroni.js';
import * as pgc from './postgres.js';
import { installCleanup, kill, remaining, signal, sleep, stopAll, tempDir, waitFor } from './procs.js';
import { Switch } from './switch.js';

interface Row {
  setup: string;
  major: string;
  ops: number;
  stale: number | '';
  undone: number | '';
  plainStale: string;
  transient: number;
  notTransient: number;
  lost: string;
  outage: string;
}

const rows: Row[] = [];
const failures: string[] = [];
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

function check(what: string, ok: boolean, detail = ''): void {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
  if (!ok) failures.push(what + (detail ? ` (${detail})` : ''));
}

const byMajor = (apps: App[]) => (['v6', 'v7'] as const).map((major) => ({ major, apps: apps.filter((app) => app.major === major) })).filter((g) => g.apps.length > 0);
const errorsOf = (apps: App[]): ErrorRecord[] => apps.flatMap((app) => app.errors);
const sum = (values: Array<{ [k: string]: any }>, key: string) => values.reduce((total, value) => total + (Number(value[key]) || 0), 0);

function describeErrors(errors: ErrorRecord[]): string {
  const counts = new Map<string, number>();
  for (const e of errors) {
    const key = `${e.transient ? 'transient' : 'NOT transient'} ${e.op} ${e.code}: ${e.message.slice(0, 90)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([key, count]) => `${count}× ${key}`).join('\n      ');
}

function pgConfig(id: string, major: 'v6' | 'v7', port: number, extra: Partial<AppConfig> = {}): AppConfig {
  return { id, major, dialect: 'postgres', endpoints: { main: { host: '127.0.0.1', port, database: 'postgres' } }, table: 'sessions', ...extra };
}
function mariaConfig(id: string, major: 'v6' | 'v7', ports: number[], extra: Partial<AppConfig> = {}): AppConfig {
  const endpoints: AppConfig['endpoints'] = {};
  ports.forEach((port, i) => (endpoints[i === 0 ? 'main' : `n${i + 1}`] = { host: '127.0.0.1', port, database: 'sss_test' }));
  return { id, major, dialect: 'mariadb', endpoints, table: 'sessions', ...extra };
}

// ---- lagging replicas ----

async function lagScenario(setup: string, apps: App[], durationMs: number): Promise<void> {
  const results = await Promise.all(apps.map((app) => app.do({ cmd: 'lag', durationMs })));
  for (const { major, apps: group } of byMajor(apps)) {
    const figures = group.map((app) => results[apps.indexOf(app)]);
    const errors = errorsOf(group);
    const plain = sum(figures, 'plain');
    const plainStale = sum(figures, 'plainStale');
    rows.push({
      setup, major, ops: sum(figures, 'ops'), stale: sum(figures, 'stale'), undone: sum(figures, 'undone'),
      plainStale: `${plainStale}/${plain}`, transient: errors.filter((e) => e.transient).length,
      notTransient: errors.filter((e) => !e.transient).length, lost: '', outage: '',
    });
    check(`${setup} ${major}: 0 stale reads through the store`, sum(figures, 'stale') === 0, String(sum(figures, 'stale')));
    check(`${setup} ${major}: 0 undone logouts`, sum(figures, 'undone') === 0, String(sum(figures, 'undone')));
    check(`${setup} ${major}: 0 errors`, errors.length === 0, describeErrors(errors));
    check(`${setup} ${major}: a plain read through the replica pool is stale most of the time (lag is real)`, plain > 0 && plainStale / plain > 0.5, `${plainStale}/${plain}`);
  }
}

// ---- failover ----

interface Failover {
  /** Breaks the primary; resolves with the time a new primary answers writes. */
  (): Promise<number>;
}

/**
 * App processes write sessions continuously while `failover` runs; then every acknowledged session
 * is read back. Errors must all be transient and stop within `settleMs` of the new primary.
 */
async function failoverScenario(setup: string, apps: App[], failover: Failover, options: { settleMs: number; expectNoLoss: boolean }): Promise<void> {
  // Only what happens from here on counts (first operations are the fleet scenario's).
  for (const app of apps) app.errors.length = 0;
  await Promise.all(apps.map((app) => app.do({ cmd: 'writes', loops: 2 })));
  await sleep(3_000);
  const broken = Date.now();
  const recovered = await failover();
  await sleep(Math.max(options.settleMs + 2_000, 6_000));
  await Promise.all(apps.map((app) => app.do({ cmd: 'stop' }, 60_000)));
  const verified = await Promise.all(apps.map((app) => app.do({ cmd: 'verify' }, 180_000)));
  for (const { major, apps: group } of byMajor(apps)) {
    const errors = errorsOf(group);
    const figures = group.map((app) => verified[apps.indexOf(app)]);
    const lost = sum(figures, 'lost');
    const ackedCount = sum(figures, 'acked');
    const last = errors.reduce((latest, e) => Math.max(latest, e.at), 0);
    const first = errors.reduce((earliest, e) => Math.min(earliest, e.at), Infinity);
    const outage = errors.length === 0 ? 0 : (last - Math.min(first, broken)) / 1000;
    const afterPrimary = errors.length === 0 ? 0 : (last - recovered) / 1000;
    rows.push({
      setup, major, ops: ackedCount, stale: '', undone: '', plainStale: '',
      transient: errors.filter((e) => e.transient).length, notTransient: errors.filter((e) => !e.transient).length,
      lost: `${lost}/${ackedCount}`, outage: `${outage.toFixed(1)} (${afterPrimary >= 0 ? '+' : ''}${afterPrimary.toFixed(1)} after new primary)`,
    });
    check(`${setup} ${major}: every error is transient`, errors.every((e) => e.transient), describeErrors(errors.filter((e) => !e.transient)));
    check(`${setup} ${major}: errors stop within ${options.settleMs / 1000} s of a new primary`, afterPrimary <= options.settleMs / 1000, `${afterPrimary.toFixed(1)} s`);
    check(`${setup} ${major}: sessions are written again after the failover`, ackedCount > 0);
    if (options.expectNoLoss) check(`${setup} ${major}: 0 acknowledged sessions lost`, lost === 0, `${lost}/${ackedCount}`);
    if (errors.length > 0) console.log(`      ${describeErrors(errors)}`);
  }
}

// ---- the store suite against another server ----

async function suite(setup: string, env: Record<string, string>): Promise<void> {
  // For a quick look at the other scenarios while working on them.
  if (process.env.SSS_CLUSTER_NO_SUITE) return console.log(`  skipped: ${setup} suite (SSS_CLUSTER_NO_SUITE)`);
  // The store's behaviour files (scripts/test.mjs matches each as a substring of the path).
  const parts = [
    'methods', 'ids', 'expiry-and-touch', 'logouts', 'statements', 'concurrency', 'model-and-columns', 'options',
    'security', 'leaks', 'bad-input', 'faults', 'replication', 'transactions', 'express-session', 'prune-timer',
    'retries', 'regressions',
  ].map((name) => `test/${name}`);
  const startedAt = Date.now();
  const output: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['scripts/test.mjs', ...parts], {
      cwd: join(__dirname, '../..'),
      env: { ...process.env, CI: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => output.push(chunk.toString());
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      // The end of its output shows which test hung.
      console.log(`      ${setup}: the suite is still running after 8 minutes, stopped; its last lines:\n${output.join('').split('\n').slice(-40).join('\n')}`);
      child.kill('SIGKILL');
    }, 8 * 60_000);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode ?? 1);
    });
  });
  const text = output.join('');
  const counts = (name: string) => Number(new RegExp(`^ℹ ${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  const summary = `${counts('tests')} tests, ${counts('pass')} pass, ${counts('fail')} fail, ${counts('skipped')} skipped, ${((Date.now() - startedAt) / 1000).toFixed(0)} s`;
  const targetLines = text.split('\n').filter((line) => /^\s+v[67] \w+\s+\d+ passed/.test(line) || /^\s+other\s+\d+ passed/.test(line));
  if (targetLines.length) console.log(`      ${targetLines.join('\n      ')}`);
  check(`${setup}: the store suite passes (${env.SSS_ONLY})`, code === 0 && counts('fail') === 0 && counts('pass') > 0, summary);
  if (code !== 0) {
    const failing = text.split('\n').filter((line) => /✖|not ok|Error|FAIL/.test(line)).slice(0, 30);
    console.log(`      ${failing.join('\n      ')}`);
  }
  rows.push({ setup: `${setup} (suite)`, major: 'v6+v7', ops: counts('pass'), stale: '', undone: '', plainStale: '', transient: 0, notTransient: counts('fail'), lost: '', outage: '' });
}

// ---- the scenarios ----

const scenarios: Record<string, () => Promise<void>> = {
  async 'pg-replica'() {
    const primary = await pgc.startPrimary('pg-primary', ['max_connections = 300']);
    const standby = await pgc.startStandby('pg-standby', primary, ["recovery_min_apply_delay = '1s'"]);
    const replica = { host: '127.0.0.1', port: standby.port, database: 'postgres' };
    const apps = await startApps(4, (i, major) => pgConfig(`lag${i}`, major, primary.port, { replica }));
    try {
      await lagScenario('pg stream (1 s apply delay)', apps, 12_000);
    } finally {
      await exitApps(apps);
    }

    // A synchronous standby that goes away: commits hang; reads must go on being served.
    await pgc.query(primary.port, `ALTER SYSTEM SET synchronous_standby_names = '"pg-standby"'`);
    await pgc.query(primary.port, 'SELECT pg_reload_conf()');
    await waitFor('standby synchronous', async () => (await pgc.query(primary.port, "SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state = 'sync'"))[0].n === 1, 20_000);
    // Fewer writers than the pool holds: only connections kept by timed-out writes can starve the reads.
    const hangApps = await startApps(2, (i, major) => pgConfig(`hang${i}`, major, primary.port, { operationTimeout: 1_500, poolMax: 5 }));
    try {
      await Promise.all(hangApps.map((app) => app.do({ cmd: 'first' })));
      await pgc.stopNode(standby);
      const stoppedAt = Date.now();
      const results = await Promise.all(hangApps.map((app) => app.do({ cmd: 'hang', writers: 2, durationMs: 12_000, sid: `${app.config.id}-first` }, 60_000)));
      for (const { major, apps: group } of byMajor(hangApps)) {
        const reads = group.flatMap((app) => results[hangApps.indexOf(app)].reads as Array<{ at: number; ok: boolean }>);
        // By then (5 writes timed out after 1.5 s each, two at a time) every pooled connection would
        // be held by a hung write, were they kept.
        const late = reads.filter((read) => read.at > stoppedAt + 6_000);
        const served = late.filter((read) => read.ok).length;
        const errors = errorsOf(group);
        const writeErrors = errors.filter((e) => e.op === 'set');
        rows.push({
          setup: 'pg sync standby stopped', major, ops: reads.length, stale: '', undone: '', plainStale: '',
          transient: errors.filter((e) => e.transient).length, notTransient: errors.filter((e) => !e.transient).length,
          lost: '', outage: `reads served ${served}/${late.length} after 6 s`,
        });
        check(`pg sync standby stopped ${major}: writes time out (the hang is real)`, writeErrors.length > 0 && writeErrors.every((e) => e.code === 'ERR_TIMEOUT'), describeErrors(writeErrors));
        check(`pg sync standby stopped ${major}: reads keep being served`, late.length > 0 && served === late.length, `${served}/${late.length}`);
        check(`pg sync standby stopped ${major}: every error is transient`, errors.every((e) => e.transient), describeErrors(errors.filter((e) => !e.transient)));
      }
    } finally {
      await exitApps(hangApps);
      await pgc.stopNode(primary);
    }
  },

  async 'pg-promote'() {
    // A manual failover: the primary dies, the address moves to the standby, which is promoted.
    const primary = await pgc.startPrimary('pg-old-primary');
    const standby = await pgc.startStandby('pg-new-primary', primary);
    const vip = new Switch(primary.port);
    await vip.listen();
    const apps = await startApps(4, (i, major) => pgConfig(`promote${i}`, major, vip.port));
    try {
      await Promise.all(apps.map((app) => app.do({ cmd: 'first' })));
      await failoverScenario('pg manual promote (async)', apps, async () => {
        await kill(primary.process);
        vip.point(standby.port);
        // Until the promotion, writes meet a read-only standby (25006).
        await sleep(1_500);
        await pgc.promote(standby);
        return Date.now();
      }, { settleMs: 5_000, expectNoLoss: false });
    } finally {
      await exitApps(apps);
      await vip.close();
    }
  },

  async patroni() {
    const cluster = await patroni.startPatroni();
    for (const synchronous of [false, true]) {
      const setup = `patroni failover (${synchronous ? 'synchronous_mode' : 'async'})`;
      if (synchronous) await patroni.setSynchronous(cluster, true);
      const apps = await startApps(4, (i, major) => pgConfig(`patroni${synchronous ? 's' : 'a'}${i}`, major, cluster.haproxy.port));
      try {
        await Promise.all(apps.map((app) => app.do({ cmd: 'first' })));
        const old = (await patroni.leader(cluster))!;
        await failoverScenario(setup, apps, async () => {
          await patroni.crash(old);
          await waitFor('a new patroni primary through haproxy', async () => {
            return (await pgc.query(cluster.haproxy.port, 'SELECT pg_is_in_recovery() AS r'))[0].r === false;
          }, 60_000, 100);
          return Date.now();
        }, { settleMs: 5_000, expectNoLoss: synchronous });
        await patroni.rejoin(cluster, old);
      } finally {
        await exitApps(apps);
      }
    }
  },

  async pgbouncer() {
    const primary = await pgc.startPrimary('pg-behind-pgbouncer', ['max_connections = 300']);
    await pgc.query(primary.port, 'CREATE DATABASE sss_test');
    const bouncer = await pgc.startPgbouncer(primary.port);
    await suite('pgbouncer transaction mode', { SSS_PG_URL: `postgres://postgres@127.0.0.1:${bouncer.port}/sss_test`, SSS_ONLY: 'v6-postgres,v7-postgres' });

    // A refusal that stays (a startup parameter pgbouncer does not pass on) is not transient.
    const apps = await startApps(2, (i, major) => pgConfig(`refused${i}`, major, bouncer.port, { dialectOptions: { statement_timeout: 5_000 } }));
    try {
      await Promise.all(apps.map((app) => app.do({ cmd: 'first' })));
      for (const { major, apps: group } of byMajor(apps)) {
        const errors = errorsOf(group);
        check(`pgbouncer ${major}: its permanent refusal (08P01) is not transient`, errors.length > 0 && errors.every((e) => e.code === '08P01' && !e.transient), describeErrors(errors));
      }
    } finally {
      await exitApps(apps);
    }
  },

  async 'maria-replica'() {
    const { primary, replica } = await maria.startPrimaryReplica(2);
    const apps = await startApps(4, (i, major) => mariaConfig(`mlag${i}`, major, [primary.port], { replica: { host: '127.0.0.1', port: replica.port, database: 'sss_test' } }));
    try {
      await lagScenario('mariadb GTID replica (MASTER_DELAY 2)', apps, 12_000);
    } finally {
      await exitApps(apps);
    }
  },

  async latin1() {
    const server = await maria.startServer('maria-latin1', ['--character-set-server=latin1', '--collation-server=latin1_swedish_ci']);
    const apps = await startApps(2, (i, major) => mariaConfig(`latin${i}`, major, [server.port], { table: 'latin1_sessions' }));
    try {
      const results = await Promise.all(apps.map((app) => app.do<{ ok: boolean }>({ cmd: 'unicode' })));
      for (const { major, apps: group } of byMajor(apps)) {
        const errors = errorsOf(group);
        const ok = group.every((app) => results[apps.indexOf(app)]!.ok);
        check(`mariadb latin1 default ${major}: non-Latin text and emoji come back as written`, ok && errors.length === 0, describeErrors(errors));
      }
    } finally {
      await exitApps(apps);
    }
    await suite('mariadb latin1 default', { SSS_MARIADB_URL: `mariadb://root@127.0.0.1:${server.port}/sss_test`, SSS_ONLY: 'v6-mariadb,v7-mariadb,v6-mysql,v7-mysql' });
  },

  async galera() {
    const cluster = await maria.startGalera();
    const ports = cluster.nodes.map((node) => node.port);
    const haproxy = await maria.startHaproxy('galera', ['balance roundrobin', 'option mysql-check', 'default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions'], ports.map((port) => `127.0.0.1:${port} check`));

    await suite('galera one node', { SSS_MARIADB_URL: `mariadb://root@127.0.0.1:${ports[0]}/sss_test`, SSS_ONLY: 'v6-mariadb,v7-mariadb,v6-mysql,v7-mysql', SSS_GALERA: '1' });

    // Causal reads: written on one node, read at once on another.
    let apps = await startApps(2, (i, major) => mariaConfig(`causal${i}`, major, ports, { table: 'causal' }));
    try {
      await Promise.all(apps.map((app) => app.do({ cmd: 'first' })));
      const results = await Promise.all(apps.map((app) => app.do({ cmd: 'causal', durationMs: 10_000 })));
      for (const { major, apps: group } of byMajor(apps)) {
        const figures = group.map((app) => results[apps.indexOf(app)]);
        const errors = errorsOf(group);
        rows.push({
          setup: 'galera causal reads across nodes', major, ops: sum(figures, 'ops'), stale: sum(figures, 'stale'), undone: sum(figures, 'undone'),
          plainStale: `${sum(figures, 'plainStale')}/${sum(figures, 'plain')}`, transient: errors.filter((e) => e.transient).length,
          notTransient: errors.filter((e) => !e.transient).length, lost: '', outage: '',
        });
        check(`galera causal ${major}: 0 stale reads across nodes`, sum(figures, 'stale') === 0, String(sum(figures, 'stale')));
        check(`galera causal ${major}: 0 undone logouts across nodes`, sum(figures, 'undone') === 0, String(sum(figures, 'undone')));
        check(`galera causal ${major}: 0 errors`, errors.length === 0, describeErrors(errors));
      }

      // The same session written from all three nodes at once.
      const contended = await Promise.all(apps.map((app) => app.do({ cmd: 'contend', rounds: 150, sid: `contended-${app.config.id}` })));
      for (const { major, apps: group } of byMajor(apps)) {
        const figures = group.map((app) => contended[apps.indexOf(app)]);
        const errors = errorsOf(group);
        rows.push({
          setup: 'galera same session, 3 nodes', major, ops: sum(figures, 'ops'), stale: sum(figures, 'wrong'), undone: '', plainStale: '',
          transient: errors.filter((e) => e.transient).length, notTransient: errors.filter((e) => !e.transient).length, lost: '', outage: '',
        });
        check(`galera same-session writes ${major}: 0 caller-visible errors`, errors.length === 0, describeErrors(errors));
      }
    } finally {
      await exitApps(apps);
    }

    // Three nodes pruning at once.
    apps = await startApps(3, (i, major) => mariaConfig(`prune${i}`, major, [ports[i]!], { table: 'pruned' }));
    try {
      await Promise.all(apps.map((app) => app.do({ cmd: 'first' })));
      const expired = 30_000;
      await maria.query(ports[0]!, `INSERT INTO sss_test.pruned (sid, sess, expire) SELECT CONCAT('old-', seq), '{}', NOW() - INTERVAL 1 HOUR FROM sss_test.seq_1_to_${expired}`, 60_000);
      await waitFor('expired rows on every node', async () => {
        for (const port of ports) if (Number((await maria.query(port, 'SELECT COUNT(*) AS n FROM sss_test.pruned WHERE expire < NOW()'))[0].n) < expired) return false;
        return true;
      }, 60_000);
      const results = await Promise.all(apps.map((app) => app.do<{ removed: number }>({ cmd: 'prune' }, 120_000)));
      const removed = results.map((result) => result.removed);
      const left = Number((await maria.query(ports[0]!, 'SELECT COUNT(*) AS n FROM sss_test.pruned WHERE expire < NOW()'))[0].n);
      const errors = errorsOf(apps);
      rows.push({
        setup: 'galera 3 nodes pruning at once', major: 'v6+v7', ops: removed.reduce((a, b) => a + b, 0), stale: '', undone: '', plainStale: `removed ${removed.join('+')}`,
        transient: errors.filter((e) => e.transient).length, notTransient: errors.filter((e) => !e.transient).length, lost: '', outage: '',
      });
      check('galera prune: all three cleanExpired() calls resolve', removed.every((count) => count >= 0), `${removed.join(', ')}; ${describeErrors(errors)}`);
      check('galera prune: each expired row removed once', removed.reduce((a, b) => a + b, 0) === expired && left === 0, `sum ${removed.reduce((a, b) => a + b, 0)} of ${expired}, ${left} left`);
    } finally {
      await exitApps(apps);
    }

    // A node killed, then a quorum loss and its heal, while apps write through HAProxy.
    apps = await startApps(4, (i, major) => mariaConfig(`gfail${i}`, major, [haproxy.port], { table: 'failover' }));
    try {
      await Promise.all(apps.map((app) => app.do({ cmd: 'first' })));
      const victim = cluster.nodes[1]!;
      await failoverScenario('galera node killed', apps, async () => {
        await kill(victim.process);
        // Writes go on on the two others as soon as HAProxy stops sending connections to it.
        return Date.now();
      }, { settleMs: 5_000, expectNoLoss: true });
      await maria.restartGaleraNode(victim);
      await sleep(2_000);

      const frozen = [cluster.nodes[1]!, cluster.nodes[2]!];
      await failoverScenario('galera quorum loss + heal', apps, async () => {
        // Two of three nodes stop answering: the third loses quorum (non-primary, WSREP not ready).
        for (const node of frozen) signal(node.process, 'SIGSTOP');
        await waitFor('node 1 non-primary', async () => {
          const [status] = await maria.query(ports[0]!, "SHOW STATUS LIKE 'wsrep_cluster_status'", 2_000);
          return status?.Value !== 'Primary';
        }, 30_000, 200);
        await sleep(4_000);
        for (const node of frozen) signal(node.process, 'SIGCONT');
        await waitFor('primary component again', async () => {
          const [status] = await maria.query(ports[0]!, "SHOW STATUS LIKE 'wsrep_cluster_status'", 2_000);
          return status?.Value === 'Primary';
        }, 60_000, 100);
        return Date.now();
      }, { settleMs: 5_000, expectNoLoss: true });
    } finally {
      await exitApps(apps);
    }
  },

  async fleet() {
    // 8 processes started together on an empty database, each with its own store and pool.
    const database = `sss_fleet_${process.pid}`;
    await pgc.query(5432, `CREATE DATABASE ${database}`);
    await maria.query(3306, `CREATE DATABASE ${database}`);
    const sqlite = join(tempDir('fleet'), 'sessions.sqlite');
    try {
      for (const dialect of ['postgres', 'mariadb', 'sqlite'] as const) {
        const endpoint = dialect === 'sqlite' ? { storage: sqlite } : { host: '127.0.0.1', port: dialect === 'postgres' ? 5432 : 3306, database };
        const apps = await startApps(8, (i, major) => ({ id: `fleet${i}`, major, dialect, endpoints: { main: endpoint }, table: 'fleet_sessions' }));
        try {
          const results = await Promise.all(apps.map((app) => app.do<{ ok: boolean }>({ cmd: 'first' })));
          for (const { major, apps: group } of byMajor(apps)) {
            const errors = errorsOf(group);
            const failed = group.filter((app) => !results[apps.indexOf(app)]!.ok).length;
            rows.push({
              setup: `fleet of 8 on empty ${dialect}`, major, ops: group.length, stale: '', undone: '', plainStale: `${failed} failed first ops`,
              transient: errors.filter((e) => e.transient).length, notTransient: errors.filter((e) => !e.transient).length, lost: '', outage: '',
            });
            check(`fleet ${dialect} ${major}: 0 failed first operations`, failed === 0 && errors.length === 0, describeErrors(errors));
          }
        } finally {
          await exitApps(apps);
        }
      }
    } finally {
      await pgc.query(5432, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
      await maria.query(3306, `DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    }
  },
};

async function main(): Promise<void> {
  installCleanup();
  const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const selected = Object.keys(scenarios).filter((name) => wanted.length === 0 || wanted.some((part) => name.includes(part)));
  // The whole run is bounded: past this, everything is stopped and the run fails.
  const limitMs = Number(process.env.SSS_CLUSTER_TIMEOUT_MS ?? 30 * 60_000);
  const watchdog = setTimeout(() => {
    console.error(`test:cluster: over ${limitMs / 60_000} minutes, stopping`);
    void stopAll().finally(() => process.exit(1));
  }, limitMs);
  watchdog.unref();
  for (const name of selected) {
    console.log(`\n=== ${name} (at ${elapsed()}) ===`);
    const t0 = Date.now();
    try {
      await scenarios[name]!();
    } catch (error) {
      check(`${name}: ran to the end`, false, String((error as Error)?.stack ?? error).slice(0, 800));
    } finally {
      await exitAllApps();
      await stopAll();
    }
    console.log(`  (${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  printRows();
  const left = remaining();
  check('every process the run started is stopped', left.length === 0, left.join(', '));
  console.log(`\ntest:cluster: ${selected.length} scenario groups in ${elapsed()}, ${failures.length} failed check(s)`);
  for (const failure of failures) console.log(`  FAIL ${failure}`);
  // Nothing may linger: every server is stopped already; a stray handle must not keep the run alive.
  process.exit(failures.length === 0 ? 0 : 1);
}

function printRows(): void {
  const head: Row = { setup: 'setup', major: 'major', ops: 'ops' as never, stale: 'stale reads' as never, undone: 'undone logouts' as never, plainStale: 'plain replica read stale / other', transient: 'errors transient' as never, notTransient: 'errors NOT transient' as never, lost: 'lost acked', outage: 'outage s' };
  const all = [head, ...rows];
  const keys = Object.keys(head) as Array<keyof Row>;
  const widths = keys.map((key) => Math.max(...all.map((row) => String(row[key]).length)));
  console.log('\n=== figures per setup and major ===');
  for (const row of all) console.log(keys.map((key, i) => String(row[key]).padEnd(widths[i]!)).join(' | '));
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
