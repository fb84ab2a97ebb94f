// Fault test (SPEC §2.1 operationTimeout, §3 Faults): the database is cut away under load
// through a TCP proxy (the shared servers are never touched), then brought back on the same port.
// Network dialects only: SQLite has no connection to cut.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { MARIADB_URL, PG_URL } from './support/servers.cjs';
import { targets, uniqueTable, type Target } from './support/targets.js';
import { TcpProxy, within } from './support/tcp-proxy.js';
import { HOUR, dropTable, makeSession, openStore, withoutCookie, type SequelizeSessionStore } from './support/store-kit.js';
import { SessionStoreError } from '../src/errors.js';

const TIMEOUT = 500;
/** Timer and event-loop slack on top of operationTimeout. */
const SLACK = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const serverPort = (target: Target) => Number(new URL(target.dialect === 'postgres' ? PG_URL : MARIADB_URL).port);

interface Outcome {
  ok: boolean;
  error?: unknown;
  ms: number;
  label: string;
}

/** Runs `operation` and records how it settled and how long it took. */
function timed(label: string, operation: () => Promise<unknown>): Promise<Outcome> {
  const start = performance.now();
  let promise: Promise<unknown>;
  try {
    promise = operation();
  } catch (error) {
    return Promise.resolve({ ok: false, error, ms: performance.now() - start, label });
  }
  return promise.then(
    () => ({ ok: true, ms: performance.now() - start, label }),
    (error: unknown) => ({ ok: false, error, ms: performance.now() - start, label }),
  );
}

function describeError(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string; transient?: boolean };
  return `${e?.name} ${e?.code} transient=${e?.transient}: ${e?.message}`;
}

/** Every failure is a transient store error (ERR_DATABASE or ERR_TIMEOUT); every outcome settled in time. */
function assertSettledInTime(outcomes: Outcome[], allowed: ReadonlyArray<string> = ['ERR_DATABASE', 'ERR_TIMEOUT']): void {
  for (const outcome of outcomes) {
    assert.ok(
      outcome.ms <= TIMEOUT + SLACK,
      `${outcome.label} settled after ${outcome.ms.toFixed(0)} ms (operationTimeout ${TIMEOUT} ms)${outcome.ok ? '' : `: ${describeError(outcome.error)}`}`,
    );
    if (outcome.ok) continue;
    const error = outcome.error as SessionStoreError;
    assert.ok(error instanceof SessionStoreError, `${outcome.label} rejected with a non-store error: ${describeError(error)}`);
    assert.ok(allowed.includes(error.code), `${outcome.label}: unexpected code: ${describeError(error)}`);
    assert.equal(error.transient, true, `${outcome.label}: a lost database must be a transient error: ${describeError(error)}`);
  }
}

/** The known Sequelize v7 pool rejection (see the last test), recognised by its message and where it was thrown. */
function isSequelizePoolRejection(reason: unknown): boolean {
  const error = reason as { message?: unknown; stack?: unknown };
  return (
    typeof error?.message === 'string' &&
    error.message === 'Unable to determine to which pool the connection belongs' &&
    /@sequelize[\\/]core/.test(String(error.stack)) &&
    !/[\\/]src[\\/]store\.ts/.test(String(error.stack))
  );
}

/**
 * Works around that Sequelize v7 bug the way an application would: the rejection of the pool's
 * destroy() is caught and recorded instead of becoming an unhandled rejection (which Node turns
 * into a crash by default, and the test runner into a failure of whatever test is running).
 */
function guardSequelizePool(target: Target, sequelize: any, caught: unknown[]): void {
  const pool = sequelize.pool;
  if (target.major !== 'v7' || typeof pool?.destroy !== 'function') return;
  const destroy = pool.destroy.bind(pool);
  pool.destroy = (connection: unknown) =>
    Promise.resolve()
      .then(() => destroy(connection))
      .catch((error: unknown) => {
        if (!isSequelizePoolRejection(error)) throw error;
        caught.push(error);
      });
}

for (const target of targets()) {
  if (target.dialect === 'sqlite') continue;

  describe(`${target.tag} faults (database cut away through a TCP proxy)`, () => {
    const table = uniqueTable('hard_fault');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    /** Sequelize's own rejections caught by guardSequelizePool. */
    const upstream: unknown[] = [];
    const disconnects: unknown[] = [];
    const emitted: unknown[] = [];
    let proxy: TcpProxy;
    let sequelize: any;
    let direct: any;
    let store: SequelizeSessionStore;

    before(async () => {
      process.on('unhandledRejection', onUnhandled);
      proxy = new TcpProxy(serverPort(target));
      await proxy.start();
      sequelize = target.connect({ host: '127.0.0.1', port: proxy.port, pool: { max: 5, acquire: 1000 } });
      guardSequelizePool(target, sequelize, upstream);
      direct = target.connect();
      store = openStore(sequelize, { tableName: table, operationTimeout: TIMEOUT });
      store.on('disconnect', (...args: unknown[]) => disconnects.push(args));
      store.on('error', (error: unknown) => emitted.push(error));
      await store.sync();
    });

    after(async () => {
      await store?.close();
      await proxy?.stop();
      await within(sequelize?.close() ?? Promise.resolve(), 3000);
      await dropTable(direct, table);
      await direct?.close();
      process.off('unhandledRejection', onUnhandled);
    });

    /** set+get until both succeed, for at most `budget` ms; resolves to the attempts it took. */
    async function recover(sid: string, budget = 4000): Promise<number> {
      const deadline = performance.now() + budget;
      let lastError: unknown;
      for (let attempt = 1; performance.now() < deadline; attempt++) {
        const outcomes = [await timed(`recovery set #${attempt}`, () => store.set(sid, makeSession(HOUR, { n: attempt })))];
        if (outcomes[0]!.ok) outcomes.push(await timed(`recovery get #${attempt}`, () => store.get(sid)));
        assertSettledInTime(outcomes);
        if (outcomes.every((outcome) => outcome.ok)) {
          assert.deepEqual(withoutCookie(await store.get(sid)), { n: attempt });
          return attempt;
        }
        lastError = outcomes.find((outcome) => !outcome.ok)?.error;
        await sleep(100);
      }
      return assert.fail(`traffic did not recover within ${budget} ms: ${describeError(lastError)}`);
    }

    it('traffic goes through the proxy', async () => {
      await store.set('fault-warm', makeSession(HOUR, { warm: true }));
      assert.deepEqual(withoutCookie(await store.get('fault-warm')), { warm: true });
      assert.ok(proxy.accepted > 0);
    });

    it('cut mid-load (50 ops): every op settles within operationTimeout, failures are transient store errors; the same store recovers', async () => {
      await proxy.start();
      for (let i = 0; i < 10; i++) await store.set(`load-${i}`, makeSession(HOUR, { i }));
      const pending: Array<Promise<Outcome>> = [];
      for (let i = 0; i < 50; i++) {
        if (i === 25) await proxy.stop();
        const sid = `load-${i % 10}`;
        const kind = i % 4;
        if (kind === 0) pending.push(timed(`set #${i}`, () => store.set(sid, makeSession(HOUR, { i }))));
        else if (kind === 1) pending.push(timed(`get #${i}`, () => store.get(sid)));
        else if (kind === 2) pending.push(timed(`touch #${i}`, () => store.touch(sid, makeSession(HOUR, { i }))));
        else pending.push(timed(`length #${i}`, () => store.length()));
        await sleep(2);
      }
      const outcomes = await Promise.all(pending);

      // While it is away, every operation fails fast (and within its timeout).
      const away = await Promise.all([
        timed('get (away)', () => store.get('load-1')),
        timed('set (away)', () => store.set('load-1', makeSession(HOUR))),
        timed('destroy (away)', () => store.destroy('load-2')),
        timed('all (away)', () => store.all()),
      ]);

      await proxy.start();
      const attempts = await recover('fault-recovered');
      // Stale pooled connections may cost a failed attempt or two, never a restart.
      assert.ok(attempts <= 10, `recovery took ${attempts} attempts`);
      const steady = await Promise.all(Array.from({ length: 20 }, (_, i) => timed(`after recovery #${i}`, () => store.get(`load-${i % 10}`))));
      assertSettledInTime(steady);
      assert.deepEqual(steady.filter((outcome) => !outcome.ok).map((outcome) => describeError(outcome.error)), []);

      // Checked after the recovery, so that a wrong classification does not hide whether it recovers.
      assertSettledInTime(outcomes);
      const afterCut = outcomes.slice(26);
      assert.ok(afterCut.every((outcome) => !outcome.ok), 'no operation can succeed while the database is away');
      assertSettledInTime(away);
      assert.ok(away.every((outcome) => !outcome.ok));
    });

    it('a database that stops answering on open connections: operations reject with ERR_TIMEOUT within operationTimeout', async () => {
      await proxy.start();
      await store.set('hang-1', makeSession(HOUR, { before: true }));
      proxy.hang();
      let outcomes: Outcome[];
      try {
        outcomes = await Promise.all([
        timed('get (hung)', () => store.get('hang-1')),
        timed('set (hung)', () => store.set('hang-2', makeSession(HOUR))),
        timed('touch (hung)', () => store.touch('hang-1', makeSession(HOUR))),
        timed('destroy (hung)', () => store.destroy('hang-3')),
        timed('length (hung)', () => store.length()),
        ]);
      } finally {
        // The bytes dropped while hung leave those connections unusable: cut them and come back.
        await proxy.stop();
        proxy.resume();
        await proxy.start();
      }
      await recover('hang-recovered');
      assertSettledInTime(outcomes, ['ERR_TIMEOUT']);
      assert.ok(outcomes.every((outcome) => !outcome.ok), 'a hung database cannot answer');
      assert.deepEqual(withoutCookie(await store.get('hang-1')), { before: true });
    });

    it('a proxy that accepts connections and never forwards a byte: operations reject with ERR_TIMEOUT within operationTimeout', async () => {
      const black = new TcpProxy(serverPort(target), { hanging: true });
      await black.start();
      const hungDb: any = target.connect({ host: '127.0.0.1', port: black.port, pool: { max: 2, acquire: 1000 } });
      guardSequelizePool(target, hungDb, upstream);
      const hungStore = openStore(hungDb, { tableName: table, operationTimeout: TIMEOUT, createTable: false });
      hungStore.on('disconnect', (...args: unknown[]) => disconnects.push(args));
      try {
        const outcomes = await Promise.all([
          timed('get (black hole)', () => hungStore.get('x')),
          timed('set (black hole)', () => hungStore.set('x', makeSession(HOUR))),
          timed('touch (black hole)', () => hungStore.touch('x', makeSession(HOUR))),
          timed('destroy (black hole)', () => hungStore.destroy('x')),
          timed('all (black hole)', () => hungStore.all()),
        ]);
        assertSettledInTime(outcomes, ['ERR_TIMEOUT']);
        assert.ok(outcomes.every((outcome) => !outcome.ok));
        assert.ok(black.accepted > 0, 'the driver did connect to the black hole');
        // The timed-out work fails later, once the connections die: that must not surface as an
        // unhandled rejection (checked by the last test).
        await black.stop();
        await sleep(150);
      } finally {
        await black.stop();
        await within(hungStore.close(), 2000);
        await within(hungDb.close(), 3000);
      }
    });

    it('no unhandled rejection from the store, no `disconnect` event during any of it', async (t) => {
      await sleep(50);
      // Sequelize v7's PostgreSQL connection manager destroys a failed connection from its 'error'
      // handler with `void pool.destroy(connection)`, which rejects when the pool no longer owns it
      // (@sequelize/postgres connection-manager, @sequelize/core replication-pool). That rejection is
      // Sequelize's own, out of the store's reach; it is reported here, not counted against the store.
      const known = [...upstream, ...unhandled.filter(isSequelizePoolRejection)];
      if (known.length > 0) {
        t.diagnostic(`Sequelize itself rejected ${known.length} time(s) with "Unable to determine to which pool the connection belongs" (caught by the test's guard)`);
      }
      assert.deepEqual(unhandled.filter((reason) => !isSequelizePoolRejection(reason)).map(describeError), []);
      assert.equal(disconnects.length, 0);
      // Request-path failures are returned to the caller, not emitted as well.
      assert.deepEqual(emitted.map(describeError), []);
    });
  });
}
