// SPEC §1 and §2.1 operationTimeout: statements run on a connection of the application's own pool,
// and one that was not sent when its operation timed out is never sent. On each networked target
// a pool of one held by a slow query: the lost update of issue 10 must not happen; a burst of
// timed-out writes must leave the pool free at once and write nothing after its callers failed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SessionStoreError } from '../src/errors.js';
import { driverError, interceptAcquire, interceptStatements } from './support/intercept.js';
import { MARIADB_URL, PG_URL } from './support/servers.cjs';
import { TcpProxy, within } from './support/tcp-proxy.js';
import { sqliteFile, targets, uniqueTable } from './support/targets.js';
import { HOUR, connectLogged, dropTable, makeSession, openStore, rawRow, type SequelizeSessionStore } from './support/store-kit.js';

const path = process.env.SEQUELIZE_SESSION_STORE_EXECUTION === 'query' ? 'query' : 'driver';

const sleepSql = (dialect: string, seconds: number) => (dialect === 'postgres' ? `SELECT pg_sleep(${seconds})` : `SELECT SLEEP(${seconds})`);

const isTimeout = (error: unknown) => error instanceof SessionStoreError && error.code === 'ERR_TIMEOUT';

/** The pool's counts on either major (v6 connectionManager.pool, v7 sequelize.pool.write). */
function poolCounts(sequelize: any): { size: number; using: number; waiting: number } {
  const pool = sequelize.pool?.write ?? sequelize.connectionManager.pool;
  return { size: pool.size, using: pool.using, waiting: pool.waiting };
}

for (const target of targets()) {
  describe(`${target.tag} execution on the application's pool (${path} path)`, () => {
    const table = uniqueTable('exe');
    let main: ReturnType<typeof connectLogged>;
    let store: SequelizeSessionStore;

    before(async () => {
      main = connectLogged(target);
      store = openStore(main.sequelize, { tableName: table });
      await store.sync();
    });
    after(async () => {
      await store.close();
      await dropTable(main.sequelize, table);
      await main.sequelize.close();
    });

    it('logs each statement as Sequelize does, without its parameters, also with logQueryParameters', async () => {
      const lines: Array<[string, unknown]> = [];
      const logged: any = target.connect({
        ...(target.dialect === 'sqlite' ? { storage: (main.sequelize as any).options.storage ?? (main.sequelize as any).options.replication?.write?.storage } : {}),
        logQueryParameters: true,
        benchmark: true,
        logging: (line: string, ms: unknown) => lines.push([line, ms]),
      });
      const s = openStore(logged, { tableName: table });
      try {
        await s.sync();
        lines.length = 0;
        const sid = 'logged-sid-7d1f3c';
        await s.set(sid, makeSession(HOUR, { secret: 'logged-content-9a2b' }));
        assert.ok(await s.get(sid));
        await s.destroy(sid);
        const own = lines.filter(([line]) => line.includes(table));
        assert.equal(own.length, 3, own.map(([line]) => line).join('\n'));
        for (const [line, ms] of own) {
          assert.match(line, /^Executed \(default\): (INSERT|SELECT|UPDATE) /);
          assert.equal(typeof ms, 'number', 'benchmark passes the elapsed ms');
          assert.ok(!line.includes(sid) && !line.includes('logged-content'), `no parameter in ${line}`);
        }
      } finally {
        await s.close();
        await logged.close();
      }
    });

    // PostgreSQL on the driver path: each statement is parsed and planned once per connection.
    const prepared = async (sequelize: any) =>
      (await sequelize.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'sequelize_session_store_%'", { type: 'SELECT', raw: true, logging: false })) as Array<{ name: string }>;

    it('PostgreSQL: prepares each statement once per connection, under a name its text decides', { skip: target.dialect !== 'postgres' || path !== 'driver' ? 'named statements are the pg driver path\'s' : false }, async () => {
      const one: any = target.connect({ pool: { max: 1, min: 0 }, logging: false });
      const s = openStore(one, { tableName: table });
      try {
        await one.query('DEALLOCATE ALL');
        for (let i = 0; i < 3; i++) {
          await s.set(`prep-${i}`, makeSession(HOUR, { n: i }));
          assert.equal((await s.get(`prep-${i}`))?.n, i);
          await s.touch(`prep-${i}`, makeSession(2 * HOUR, { n: i }));
          await s.destroy(`prep-${i}`);
        }
        const names = (await prepared(one)).map((row) => row.name);
        // set, get, touch, destroy: one each, however often they ran; the same names in another process.
        assert.equal(names.length, 4, names.join(', '));
        const other: any = target.connect({ pool: { max: 1, min: 0 }, logging: false });
        const t = openStore(other, { tableName: table });
        try {
          await other.query('DEALLOCATE ALL');
          await t.set('prep-other', makeSession(HOUR));
          await t.get('prep-other');
          await t.touch('prep-other', makeSession(2 * HOUR));
          await t.destroy('prep-other');
          assert.deepEqual((await prepared(other)).map((row) => row.name).sort(), [...names].sort());
        } finally {
          await t.close();
          await other.close();
        }
      } finally {
        await s.close();
        await one.close();
      }
    });

    it('PostgreSQL: a named statement refused as not prepared (a pooler in transaction mode) runs again unnamed, and so does every later one', { skip: target.dialect !== 'postgres' || path !== 'driver' ? 'named statements are the pg driver path\'s' : false }, async () => {
      const one: any = target.connect({ pool: { max: 1, min: 0 }, logging: false });
      let refusals = 0;
      let sent = 0;
      interceptStatements(target, one, (sql) => {
        if (!sql.includes(table)) return undefined;
        sent++;
        return refusals-- > 0 ? { fail: driverError('26000', 'prepared statement "x" does not exist') } : undefined;
      });
      const s = openStore(one, { tableName: table });
      const second = openStore(one, { tableName: table });
      try {
        await s.sync();
        await one.query('DEALLOCATE ALL');
        sent = 0;
        refusals = 1;
        await s.set('unprep-1', makeSession(HOUR, { n: 1 }));
        assert.equal(sent, 2, 'the refused statement went once more');
        assert.equal((await s.get('unprep-1'))?.n, 1);
        await second.set('unprep-2', makeSession(HOUR, { n: 2 }));
        assert.equal((await second.get('unprep-2'))?.n, 2);
        assert.deepEqual(await prepared(one), [], 'nothing prepared on this instance any more');
      } finally {
        await s.close();
        await second.close();
        await one.close();
      }
    });

    // v6 SQLite: the store and the application share one connection, and Sequelize queues the
    // application's statements serialized, to run once nothing else runs there. A stream of the
    // store's statements that overlap (counts over a few thousand rows) must not keep them waiting.
    it("a stream of the store's statements lets the application's own statements through", async () => {
      const rows = 3000;
      // Seeded 100 at a time: 3,000 writes at once on a disk that syncs each commit outlast operationTimeout.
      for (let at = 0; at < rows; at += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => store.set(`turns-${at + i}`, makeSession(HOUR, { i: at + i }))));
      }
      const total = 400;
      let done = 0;
      let next = 0;
      let answeredAfter = -1;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < total) {
            next++;
            assert.ok((await store.length()) >= rows);
            done++;
            if (done === 20) {
              void main.sequelize.query('SELECT 1 AS one', { type: 'SELECT', raw: true }).then(() => {
                answeredAfter = done;
              });
            }
          }
        }),
      );
      await main.sequelize.query('SELECT 1 AS one', { type: 'SELECT', raw: true });
      await store.clear();
      assert.ok(answeredAfter >= 20, `the application statement answered only after all ${total} of the store's`);
      assert.ok(answeredAfter < total / 2, `the application statement waited for ${answeredAfter - 20} of the store's ${total - 20} statements`);
    });

    it('SQLite: compiles each text once per statement running at once, not once per statement, and the application closes its Sequelize right after store work', { skip: target.dialect !== 'sqlite' || path !== 'driver' ? "kept statements are the sqlite3 driver path's" : false }, async () => {
      const storage = sqliteFile('kept');
      const sqlite3 = require('sqlite3') as { Database: { prototype: Record<'prepare' | 'all' | 'run', (sql: string, ...rest: unknown[]) => unknown> } };
      const proto = sqlite3.Database.prototype;
      const originals = { prepare: proto.prepare, all: proto.all, run: proto.run };
      const compiles = new Map<string, number>();
      for (const method of ['prepare', 'all', 'run'] as const) {
        proto[method] = function (this: unknown, sql: string, ...rest: unknown[]) {
          if (sql.includes(table)) compiles.set(sql, (compiles.get(sql) ?? 0) + 1);
          return originals[method].call(this, sql, ...rest);
        };
      }
      let operations = 0;
      const app: any = target.connect({ storage, logging: false });
      const s = openStore(app, { tableName: table });
      try {
        await s.sync();
        compiles.clear();
        for (let i = 0; i < 30; i++) {
          await s.set(`kept-${i}`, makeSession(HOUR, { i }));
          assert.equal((await s.get(`kept-${i}`) as any)?.i, i);
          operations += 2;
        }
        // 24 at once: a text runs on as many statements in parallel.
        await Promise.all(Array.from({ length: 24 }, (_, i) => s.get(`kept-${i}`)));
        operations += 24;
      } finally {
        Object.assign(proto, originals);
      }
      const total = [...compiles.values()].reduce((a, b) => a + b, 0);
      assert.ok(total <= operations / 2, `${total} compiles for ${operations} statements: ${JSON.stringify([...compiles])}`);
      // The kept statements are finalized by the connection's own close: SQLite refuses to close with any left.
      await app.close();
      const again: any = target.connect({ storage, logging: false });
      const reopened = openStore(again, { tableName: table });
      try {
        assert.equal((await reopened.get('kept-29') as any)?.i, 29);
      } finally {
        await reopened.close();
        await again.close();
      }
    });

    // v6 SQLite has one shared connection and no pool to count.
    it('takes its connections from the pool and gives every one back', { skip: target.major === 'v6' && target.dialect === 'sqlite' ? 'v6 SQLite has no pool' : false }, async () => {
      for (let i = 0; i < 20; i++) await store.set(`pooled-${i}`, makeSession(HOUR, { i }));
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.get(`pooled-${i % 20}`)));
      const counts = poolCounts(main.sequelize);
      assert.equal(counts.using, 0, 'no connection is still lent out');
      assert.equal(counts.waiting, 0);
    });

    // SQLite has one writer at a time: an open transaction would block the store.
    it('never joins an ambient transaction: a set inside one is visible before it ends', { skip: target.dialect === 'sqlite' ? 'SQLite has a single writer' : false }, async () => {
      const sequelize: any = main.sequelize;
      const transaction = await (sequelize.startUnmanagedTransaction ? sequelize.startUnmanagedTransaction() : sequelize.transaction());
      try {
        await store.set('outside-tx', makeSession(HOUR, { v: 1 }));
        const row = await rawRow(sequelize, table, 'outside-tx');
        assert.ok(row, 'the row is committed outside the transaction');
      } finally {
        await transaction.rollback();
      }
      assert.ok(await rawRow(main.sequelize, table, 'outside-tx'), 'the rollback did not undo it');
    });

    if (target.dialect === 'sqlite') return;

    it('a set that timed out waiting for a busy pool is never sent: no lost update (issue 10)', async () => {
      const busy: any = target.connect({ pool: { max: 1 } });
      const other: any = target.connect();
      const a = openStore(busy, { tableName: table, operationTimeout: 300 });
      const b = openStore(other, { tableName: table });
      try {
        await a.get('warm'); // the pool's one connection exists
        const slow = busy.query(sleepSql(target.dialect, 1.2), { type: 'SELECT', raw: true, logging: false });
        await new Promise((resolve) => setTimeout(resolve, 50));
        await assert.rejects(a.set('lost-update', makeSession(HOUR, { v: 'A' })), isTimeout);
        await b.set('lost-update', makeSession(HOUR, { v: 'B' }));
        await slow;
        // The pool serves waiters in order: once this has run, anything queued before it has too.
        await busy.query('SELECT 1 AS one', { type: 'SELECT', raw: true, logging: false });
        assert.equal(((await b.get('lost-update')) as any)?.v, 'B', 'A was written after its caller was told it failed');
        assert.equal(poolCounts(busy).using, 0);
      } finally {
        await a.close();
        await b.close();
        await busy.close();
        await other.close();
      }
    });

    it('a statement lost on the wire has its socket closed at once, not ended gracefully behind the statement', async () => {
      const proxy = new TcpProxy(Number(new URL(target.dialect === 'postgres' ? PG_URL : MARIADB_URL).port));
      await proxy.start();
      const proxied: any = target.connect({ host: '127.0.0.1', port: proxy.port, pool: { max: 1 } });
      const lost = openStore(proxied, { tableName: table, operationTimeout: 300, createTable: false });
      try {
        await lost.get('warm');
        assert.equal(proxy.open, 1);
        // The database stops answering: a graceful end would wait for the statement's reply forever.
        proxy.hang();
        await assert.rejects(lost.get('lost-on-the-wire'), isTimeout);
        for (let waited = 0; proxy.open > 0 && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(proxy.open, 0, 'the lost statement\'s connection is still open');
      } finally {
        await proxy.stop();
        await within(lost.close(), 3000);
        await within(proxied.close(), 3000);
      }
    });

    it('a burst of 1,500 sets on pool.max 2 with a 300 ms timeout: the pool is free right after, nothing lands after its caller failed', async () => {
      const sent = new Map<string, number>();
      const busy: any = target.connect({ pool: { max: 2 } });
      // Records when each statement on the table leaves for the database, by its sid (the first value).
      interceptAcquire(busy, (connection: any) => {
        if (connection.__recorded) return;
        connection.__recorded = true;
        // The store prepares on MySQL/MariaDB (`execute`); Sequelize's mariadb dialect uses `query`.
        for (const method of target.dialect === 'postgres' ? ['query'] : ['execute', 'query']) {
          const original = connection[method];
          if (typeof original !== 'function') continue;
          connection[method] = function (this: unknown, ...args: any[]) {
            const sql = String(typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? args[0]?.sql ?? ''));
            // pg takes (text, values) or a config object ({ text, values, name }).
            const values = Array.isArray(args[1]) ? args[1] : Array.isArray(args[0]?.values) ? args[0].values : undefined;
            if (sql.includes(table) && sql.startsWith('INSERT') && values) {
              const sid = Buffer.isBuffer(values[0]) ? values[0].toString() : String(values[0]);
              if (sid.startsWith('burst-')) sent.set(sid, performance.now());
            }
            return original.apply(this, args);
          };
        }
      });
      const s = openStore(busy, { tableName: table, operationTimeout: 300 });
      try {
        await s.get('warm');
        const failedAt = new Map<string, number>();
        let succeeded = 0;
        // Sessions of 100 KB: on an idle machine two connections write small ones fast enough to
        // finish all 1,500 within the timeout, and then nothing would time out to check.
        const pad = 'x'.repeat(100_000);
        await Promise.all(
          Array.from({ length: 1500 }, (_, i) =>
            s.set(`burst-${i}`, makeSession(HOUR, { i, pad })).then(
              () => void succeeded++,
              (error: unknown) => {
                assert.ok(isTimeout(error), String(error));
                failedAt.set(`burst-${i}`, performance.now());
              },
            ),
          ),
        );
        assert.ok(failedAt.size > 0, 'some sets timed out');
        // Right after the burst, a get on the same pool answers: it does not wait behind abandoned
        // work (1,500 statements would take seconds). The bound is generous for a loaded machine.
        const reader = openStore(busy, { tableName: table, operationTimeout: 1500 });
        const started = performance.now();
        await reader.get('burst-0');
        const took = performance.now() - started;
        await reader.close();
        await busy.query('SELECT 1 AS one', { type: 'SELECT', raw: true, logging: false });
        let onTheWire = 0;
        for (const [sid, at] of failedAt) {
          const leftAt = sent.get(sid);
          if (leftAt === undefined) continue;
          assert.ok(leftAt < at, `${sid} was sent ${(leftAt - at).toFixed(1)} ms after its caller was told it failed`);
          onTheWire++;
        }
        // Every timed-out set that left was on the wire before the timeout; the rest never left.
        assert.equal(sent.size, succeeded + onTheWire);
        console.log(`${target.tag} ${path}: burst of 1500: ${succeeded} written in time, ${failedAt.size} timed out, ${onTheWire} of them already on the wire, ${failedAt.size - onTheWire} never sent; get after it ${took.toFixed(1)} ms`);
        assert.equal(poolCounts(busy).waiting, 0);
      } finally {
        await s.close();
        await busy.close();
      }
    });
  });
}
