// SPEC §3: identical reads and touches in flight share one statement (each caller gets its own copy),
// and concurrent writes within and across instances (another Sequelize instance on the same database
// stands for another process) never fail or duplicate a row.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  HOUR,
  dataTypes,
  dropTable,
  makeSession,
  openStore,
  quoteIdentifier,
  quoteTable,
  rawRow,
  sameDatabase,
  statementsDuring,
  type LoggedDb,
  type SequelizeSessionStore,
} from './support/store-kit.js';
import { targets, uniqueTable } from './support/targets.js';
import { exactSidType, forDialect } from './support/per-dialect.js';

for (const target of targets()) {
  describe(`${target.tag} coalescing and concurrency (SPEC §3)`, () => {
    const table = uniqueTable('conc');
    const open = sameDatabase(target);
    let db: LoggedDb;
    let store: SequelizeSessionStore;
    const extra: Array<{ db: LoggedDb; stores: SequelizeSessionStore[] }> = [];

    before(async () => {
      db = open();
      store = openStore(db.sequelize, { tableName: table });
      await store.sync();
      await store.get('warm-up');
    });
    after(async () => {
      await store?.close();
      for (const { db: other, stores } of extra) {
        for (const s of stores) await s.close();
        await other.sequelize.close();
      }
      await dropTable(db.sequelize, table);
      await db.sequelize?.close();
    });

    /** Another "process": its own Sequelize instance and store on the same table. */
    function otherProcess(options: Parameters<typeof openStore>[1] = {}): { db: LoggedDb; store: SequelizeSessionStore } {
      const other = open();
      const s = openStore(other.sequelize, { tableName: table, ...options });
      extra.push({ db: other, stores: [s] });
      return { db: other, store: s };
    }

    describe('coalescing', () => {
      it('20 concurrent gets of one sid: 1 statement, 20 independent copies', async () => {
        await store.set('co-get', makeSession(HOUR, { user: { name: 'Ada', roles: ['admin'] }, n: 1 }));
        let results: any[] = [];
        const statements = await statementsDuring(db.log, async () => {
          results = await Promise.all(Array.from({ length: 20 }, () => store.get('co-get')));
        });
        assert.equal(statements.length, 1, statements.join('\n'));
        assert.equal(results.length, 20);
        for (const r of results) assert.deepEqual(r, results[0]);
        assert.equal(new Set(results).size, 20, 'twenty distinct objects');
        results[0].n = 99;
        results[0].user.name = 'Mallory';
        results[0].user.roles.push('root');
        results[0].cookie.expires = null;
        for (const r of results.slice(1)) {
          assert.equal(r.n, 1);
          assert.equal(r.user.name, 'Ada');
          assert.deepEqual(r.user.roles, ['admin']);
          assert.notEqual(r.cookie.expires, null);
        }
      });

      it('concurrent identical touches share one statement', async () => {
        await store.set('co-touch', makeSession(HOUR));
        const later = makeSession(3 * HOUR);
        const statements = await statementsDuring(db.log, () => Promise.all(Array.from({ length: 10 }, () => store.touch('co-touch', later))));
        assert.equal(statements.length, 1, statements.join('\n'));
      });

      it('a get issued after a set completed sees the new data, even with an older get still in flight', async () => {
        await store.set('co-fresh', makeSession(HOUR, { v: 'old' }));
        const early = store.get('co-fresh');
        await store.set('co-fresh', makeSession(HOUR, { v: 'new' }));
        const late = await store.get('co-fresh');
        assert.equal((late as any).v, 'new');
        assert.ok(['old', 'new'].includes((await early as any).v));
        await store.destroy('co-fresh');
        assert.equal(await store.get('co-fresh'), null, 'a get after destroy sees it gone');
      });

      it('coalesced copies are independent with a JSON sess column too', async () => {
        const types = dataTypes(db.sequelize);
        const jsonTable = uniqueTable('stm_json');
        const exactSid = exactSidType(target, types);
        const Model = db.sequelize.define(`Json_${jsonTable}`, {
          sid: { type: exactSid, primaryKey: true },
          sess: { type: forDialect(target, { postgres: types.JSONB, default: types.JSON }), allowNull: false },
          expire: { type: types.DATE(6), allowNull: false },
        }, { tableName: jsonTable, timestamps: false });
        const s = openStore(db.sequelize, { model: Model, createTable: true });
        try {
          await s.set('json-1', makeSession(HOUR, { user: { name: 'Ada' }, n: 1 }));
          const results = (await Promise.all(Array.from({ length: 5 }, () => s.get('json-1')))) as any[];
          assert.equal(results[0].user.name, 'Ada');
          results[0].user.name = 'Mallory';
          results[0].n = 2;
          for (const r of results.slice(1)) {
            assert.equal(r.user.name, 'Ada', 'a coalesced copy changed when another was mutated');
            assert.equal(r.n, 1);
          }
          await s.destroy('json-1');
          assert.equal(await s.get('json-1'), null);
        } finally {
          await s.close();
          await dropTable(db.sequelize, jsonTable);
        }
      });
    });


    describe('concurrency', () => {
      it('200 concurrent set/touch/get on one sid: no error, one row, last write wins', async () => {
        const sid = 'hot-sid';
        const ops: Array<Promise<unknown>> = [];
        for (let i = 0; i < 200; i++) {
          if (i % 3 === 0) ops.push(store.set(sid, makeSession(HOUR + i, { i })));
          else if (i % 3 === 1) ops.push(store.touch(sid, makeSession(2 * HOUR + i, { i })));
          else ops.push(store.get(sid));
        }
        const settled = await Promise.allSettled(ops);
        const failures = settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
        assert.deepEqual(failures, []);
        const got = (await store.get(sid)) as any;
        assert.ok(got && Number.isInteger(got.i) && got.i % 3 === 0, 'the data of one of the sets');
        await store.set(sid, makeSession(HOUR, { i: 'final' }));
        assert.equal((await store.get(sid) as any).i, 'final');
        // (rows, not COUNT(*): v7's mysql dialect misreads a bound COUNT)
        const q = (name: string) => quoteIdentifier(db.sequelize, name);
        const rows = await db.sequelize.query(`SELECT ${q('sid')} AS k FROM ${quoteTable(db.sequelize, table)} WHERE ${q('sid')} = $1`, {
          bind: [sid],
          type: 'SELECT',
          raw: true,
          logging: false,
        });
        assert.equal(rows.length, 1);
      });

      it('200 sids concurrently: every session stored and read back as written', async () => {
        const s = openStore(db.sequelize, { tableName: uniqueTableFor(table, 'many') });
        try {
          await s.sync();
          const sids = Array.from({ length: 200 }, (_, i) => `many-${i}-${Math.random().toString(36).slice(2, 8)}`);
          await Promise.all(sids.map((sid, i) => s.set(sid, makeSession(HOUR, { i }))));
          await Promise.all(sids.map((sid, i) => s.touch(sid, makeSession(2 * HOUR, { i }))));
          const got = (await Promise.all(sids.map((sid) => s.get(sid)))) as any[];
          got.forEach((sess, i) => assert.equal(sess?.i, i, `session ${i}`));
          assert.equal(await s.length(), 200);
          const all = await s.all();
          assert.equal(Object.keys(all).length, 200);
          await Promise.all(sids.slice(0, 100).map((sid) => s.destroy(sid)));
          assert.equal(await s.length(), 100);
        } finally {
          await s.clear();
          await s.close();
          await dropTable(db.sequelize, uniqueTableFor(table, 'many'));
        }
      });

      it('a second Sequelize instance (another process) sees the first one\'s writes at once', async () => {
        const { store: other } = otherProcess();
        await store.set('xproc', makeSession(HOUR, { from: 'first' }));
        assert.equal((await other.get('xproc') as any)?.from, 'first');
        await other.set('xproc', makeSession(HOUR, { from: 'second' }));
        assert.equal((await store.get('xproc') as any)?.from, 'second');
        const later = makeSession(5 * HOUR);
        await store.touch('xproc', later);
        const seen = await other.get('xproc');
        assert.ok(Math.abs(new Date(String(seen!.cookie.expires)).getTime() - new Date(String(later.cookie.expires)).getTime()) <= 1);
        await other.destroy('xproc');
        assert.equal(await store.get('xproc'), null);
        assert.ok(!('xproc' in (await store.all())));
      });

      it('two processes writing one sid concurrently: no duplicate-key error, one row', async () => {
        const { store: other } = otherProcess();
        const ops: Array<Promise<unknown>> = [];
        for (let i = 0; i < 40; i++) {
          ops.push((i % 2 ? store : other).set(`race-${i % 4}`, makeSession(HOUR, { i })));
          ops.push((i % 2 ? other : store).touch(`race-${i % 4}`, makeSession(2 * HOUR, { i })));
        }
        const failures = (await Promise.allSettled(ops)).filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
        assert.deepEqual(failures, []);
        for (let k = 0; k < 4; k++) {
          assert.ok(await store.get(`race-${k}`));
          assert.ok(await rawRow(db.sequelize, table, `race-${k}`));
        }
      });
    });
  });
}

function uniqueTableFor(base: string, suffix: string): string {
  return `${base}_${suffix}`;
}
