// Sequelize v7 specifics (issue 5): store queries stay out of an application's ambient (CLS)
// transaction, and a user model defined with v7's Model.init works with every method.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  connectLogged,
  dropTable,
  makeSession,
  openStore,
  rawRow,
  toMs,
  withoutCookie,
  type SequelizeSessionStore,
} from './support/store-kit.js';

for (const target of targets().filter((t) => t.major === 'v7')) {
  describe(`${target.tag} Sequelize v7 specifics`, () => {
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

    it('a user model defined with Model.init (timestamps, extras) works with every method', async () => {
      const { Model, DataTypes } = require('@sequelize/core') as typeof import('@sequelize/core');
      const table = uniqueTable('v7_init');
      tables.push(table);
      class UserSession extends Model {}
      UserSession.init(
        {
          sid: { type: target.dialect === 'mariadb' || target.dialect === 'mysql' ? 'VARBINARY(1020)' : DataTypes.STRING(255), primaryKey: true },
          sess: { type: DataTypes.TEXT, allowNull: false },
          expire: { type: DataTypes.DATE(6), allowNull: false },
          userId: { type: DataTypes.INTEGER, allowNull: true },
        },
        { sequelize, tableName: table, timestamps: true },
      );
      const store = openStore(sequelize, {
        model: UserSession as never,
        createTable: true,
        extras: (data, sess) => {
          data.userId = (sess as any).userId ?? null;
        },
      });
      stores.push(store);
      assert.equal(store.model, UserSession);
      const before = Date.now();
      await store.set('init-a', makeSession(HOUR, { userId: 1, n: 1 }));
      await store.set('init-b', makeSession(HOUR, { userId: 1, n: 2 }));
      await store.set('init-c', makeSession(HOUR, { userId: 2, n: 3 }));
      const row: any = await UserSession.findOne({ where: { sid: 'init-a' }, raw: true });
      assert.equal(row.userId, 1);
      assert.ok(toMs(row.createdAt) >= before - 1000 && toMs(row.updatedAt) >= before - 1000, 'timestamps filled');
      assert.equal((await store.get('init-a') as any).n, 1);
      await store.touch('init-a', makeSession(3 * HOUR));
      assert.ok(Math.abs((await rawRow(sequelize, table, 'init-a'))!.expire - (Date.now() + 3 * HOUR)) < 60_000);
      assert.equal(await store.length(), 3);
      assert.deepEqual(Object.keys(await store.all()).sort(), ['init-a', 'init-b', 'init-c']);
      assert.equal(await store.destroyWhere({ userId: 1 }, { except: 'init-a' }), 1);
      assert.equal(await store.get('init-b'), null);
      await store.destroy('init-a');
      assert.equal(await store.get('init-a'), null);
      await store.set('init-old', makeSession(-1000, { userId: 3 }));
      assert.ok((await store.cleanExpired()) >= 1);
      assert.equal(await store.length(), 1);
      await store.clear();
      assert.equal(await store.length(), 0);
    });
  });
}
