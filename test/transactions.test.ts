// Found by the model suite (test/model): the table a store creates before its first operation
// must not be created inside the application's own transaction. With CLS (v7's default, v6 with
// useCLS) the creation joined the transaction of the request that came first; its operation then
// failed ("no such table") and a rollback took the table away while the store believed it existed.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { targets, uniqueTable } from './support/targets.js';
import { HOUR, dropTable, makeSession, openStore, withoutCookie } from './support/store-kit.js';

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
