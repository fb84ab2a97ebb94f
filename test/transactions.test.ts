// The store stays out of the application's transactions. Found by the model suite (test/model): the table a store creates before its first operation
// must not be created inside the application's own transaction. With CLS (v7's default, v6 with
// useCLS) the creation joined the transaction of the request that came first; its operation then
// failed ("no such table") and a rollback took the table away while the store believed it existed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  connectLogged,
  dropTable,
  makeSession,
  openStore,
  withoutCookie,
  type SequelizeSessionStore,
} from './support/store-kit.js';

const cls = (require('cls-hooked') as { createNamespace(name: string): unknown }).createNamespace('sss-ambient');

for (const target of targets()) {
  describe(`${target.tag} table creation outside the app's transaction`, () => {
    if (target.major === 'v6') (require('sequelize') as { Sequelize: { useCLS(ns: unknown): unknown } }).Sequelize.useCLS(cls);
    const sequelize: any = target.connect();
    const table = uniqueTable('ambient');

    after(async () => {
      if (target.major === 'v6') (require('sequelize') as { Sequelize: { _cls?: unknown } }).Sequelize._cls = undefined;
      await dropTable(sequelize, table);
      await sequelize.close();
    });

    it('the first operation, inside a transaction that rolls back, creates a table that stays', async () => {
      const store = openStore(sequelize, { tableName: table, operationTimeout: 5_000 });
      const rollback = new Error('rollback');
      await sequelize
        .transaction(async () => {
          await sequelize.query('SELECT 1 AS one', { type: 'SELECT' });
          await store.set('first', makeSession(HOUR, { n: 1 }));
          throw rollback;
        })
        .catch((error: unknown) => {
          if (error !== rollback) throw error;
        });
      assert.deepEqual(withoutCookie(await store.get('first')), { n: 1 });
      await store.set('second', makeSession(HOUR, { n: 2 }));
      assert.equal(await store.length(), 2);
      await store.close();
    });
  });
}

// Sequelize v7 runs every query inside the ambient (CLS) transaction by default; the store's must stay out.
for (const target of targets().filter((t) => t.major === 'v7')) {
  describe(`${target.tag} store queries outside the app's transaction`, () => {
    let sequelize: any;
    const tables: string[] = [];
    const stores: SequelizeSessionStore[] = [];

    before(() => {
      sequelize = connectLogged(target).sequelize;
    });
    after(async () => {
      for (const s of stores) await s.close();
      for (const t of tables) await dropTable(sequelize, t);
      await sequelize?.close();
    });

    // SQLite has one writer: a store write outside an open transaction would wait on its lock.
    it('store queries do not join the ambient transaction (it rolls back, the session stays)', { skip: target.dialect === 'sqlite' ? 'SQLite has a single writer' : false }, async () => {
      const { DataTypes } = require('@sequelize/core') as typeof import('@sequelize/core');
      const table = uniqueTable('v7_tx');
      const probeTable = uniqueTable('v7_probe');
      tables.push(table, probeTable);
      const store = openStore(sequelize, { tableName: table });
      stores.push(store);
      await store.sync();
      const Probe = sequelize.define(`Probe_${probeTable}`, { name: DataTypes.STRING(20) }, { tableName: probeTable, timestamps: false });
      await Probe.sync();
      await store.set('tx-existing', makeSession(HOUR, { v: 'before' }));

      await assert.rejects(
        sequelize.transaction(async () => {
          await Probe.create({ name: 'rolled back' });
          await store.set('tx-sid', makeSession(HOUR, { inside: true }));
          await store.set('tx-existing', makeSession(HOUR, { v: 'inside' }));
          assert.equal((await store.get('tx-sid') as any)?.inside, true);
          throw new Error('the application fails: rollback');
        }),
        /rollback/,
      );
      assert.equal(await Probe.count(), 0, 'control: the ambient transaction was rolled back (CLS is on)');
      const other = openStore(sequelize, { tableName: table });
      stores.push(other);
      assert.deepEqual(withoutCookie(await other.get('tx-sid')), { inside: true }, 'the session written inside survived the rollback');
      assert.equal((await other.get('tx-existing') as any).v, 'inside');
      await store.destroy('tx-sid');
      await sequelize.transaction(async () => {
        await store.set('tx-sid', makeSession(HOUR, { again: true }));
      });
      assert.equal(await store.get('tx-sid'), null, 'and a destroy outside still wins');
    });
  });
}
