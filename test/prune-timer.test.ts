// Process-level behaviour of the prune timer (SPEC §2.1 expiration.interval, §3 Faults), in child
// processes on SQLite: it never keeps a process alive, and its failures never kill one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { sqliteFile, targets, uniqueTable } from './support/targets.js';
import { HOUR, connectLogged, dropTable, makeSession, openStore, type SequelizeSessionStore } from './support/store-kit.js';

const ROOT = resolve(__dirname, '..');
// (the .ts path: tsx maps '.js' to '.ts' inside TypeScript files, not in `-e` code)
const ENTRY = resolve(ROOT, 'src/index.ts');
/** A guard against a hung child, not a timing assumption: a healthy child takes about a second. */
const GUARD_MS = 10_000;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  killed: boolean;
}

/** Runs `code` in `node --import tsx -e`, killing it (by its pid) if it outlives the guard. */
function runChild(code: string, env: Record<string, string> = {}): Promise<ChildResult> {
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const guard = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, GUARD_MS);
  return new Promise((resolveResult) => {
    child.once('close', (exitCode, signal) => {
      clearTimeout(guard);
      resolveResult({ code: exitCode, signal, stdout, stderr, ms: Date.now() - started, killed });
    });
  });
}

const preamble = (storage: string) => `
const { Sequelize } = require('sequelize');
const factory = require(${JSON.stringify(ENTRY)});
const sequelize = new Sequelize({ dialect: 'sqlite', storage: ${JSON.stringify(storage)}, logging: false });
const session = { cookie: { expires: new Date(Date.now() + 3600e3).toISOString(), originalMaxAge: 3600e3 }, n: 1 };
`;

describe('[v6 sqlite] the prune timer in a real process', { skip: targets().some((t) => t.id === 'v6-sqlite') ? false : 'v6-sqlite is not a target of this run' }, () => {
  it('a process with the prune timer on (interval 60 s) exits on its own after its work', async () => {
    const result = await runChild(`${preamble(sqliteFile('child-exit'))}
const store = new factory.SequelizeSessionStore({ sequelize, expiration: { interval: 60000 } });
(async () => {
  await store.set('child-sid', session);
  const back = await store.get('child-sid');
  console.log(back && back.n === 1 ? 'SET-OK' : 'SET-WRONG');
  // The application closes its Sequelize; the store (and its timer) is deliberately left open.
  await sequelize.close();
})().catch((error) => { console.error('FAILED', error && error.code); process.exitCode = 2; });
`);
    assert.equal(result.killed, false, `the child was still alive after ${GUARD_MS} ms: the timer keeps the process alive`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /SET-OK/);
  });

  it('a failing background prune with no error listener does not kill the process', async () => {
    const result = await runChild(
      `${preamble(sqliteFile('child-prune'))}
const store = new factory.SequelizeSessionStore({ sequelize, expiration: { interval: 50 } });
(async () => {
  await store.set('child-sid', session);
  // The table disappears under the store: every prune from now on fails.
  await sequelize.query('DROP TABLE express_session');
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log('OK');
  await store.close();
  await sequelize.close();
})().catch((error) => { console.error('FAILED', error && error.code); process.exitCode = 2; });
`,
      { DEBUG: 'sequelize-session-store' },
    );
    assert.equal(result.killed, false);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^OK$/m);
    assert.match(result.stderr, /sequelize-session-store prune: ERR_DATABASE/, 'the failure went to the debug channel');
    assert.doesNotMatch(result.stderr, /child-sid/, 'no session id in the debug output');
  });

  describe('with an error listener', () => {
    const table = uniqueTable('proc');
    let sequelize: any;
    let store: SequelizeSessionStore;
    before(() => {
      sequelize = connectLogged(targets().find((t) => t.id === 'v6-sqlite')!).sequelize;
    });
    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    it('a failing prune is emitted as the store\'s error event, and the timer keeps running', async () => {
      const errors: Array<{ code?: string; message: string }> = [];
      const writer = openStore(sequelize, { tableName: table });
      await writer.set('listener-sid', makeSession(HOUR));
      await writer.close();
      store = openStore(sequelize, { tableName: table, expiration: { interval: 30 } });
      store.on('error', (error) => errors.push(error));
      await store.get('listener-sid');
      await dropTable(sequelize, table);
      const deadline = Date.now() + 3000;
      while (errors.length < 2 && Date.now() < deadline) await delay(20);
      assert.ok(errors.length >= 2, `${errors.length} error events: the timer re-arms after a failure`);
      assert.equal(errors[0]!.code, 'ERR_DATABASE');
      assert.ok(!errors[0]!.message.includes('listener-sid'));
    });
  });
});
