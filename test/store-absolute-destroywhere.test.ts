// Found by the model suite (test/model): with expiration.absolute, destroyWhere counted (and
// marked) sessions past their absolute lifetime, which get, all and length already treat as gone.
// "Sign out everywhere else" reported sessions removed that nobody could use any more.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { targets, uniqueTable } from './support/targets.js';
import { DAY, HOUR, dropTable, makeSession, openStore } from './support/store-kit.js';

for (const target of targets()) {
  describe(`${target.tag} destroyWhere with expiration.absolute`, () => {
    const sequelize: any = target.connect();
    const table = uniqueTable('abs_dw');
    after(async () => {
      await dropTable(sequelize, table);
      await sequelize.close();
    });

    it('does not count a session older than the absolute bound', async () => {
      const types = sequelize.constructor.DataTypes;
      const mysqlish = target.dialect === 'mariadb' || target.dialect === 'mysql';
      const model = sequelize.define(`AbsDw_${table}`, {
        sid: { type: mysqlish ? 'VARBINARY(1020)' : types.STRING(255), primaryKey: true },
        sess: { type: types.TEXT, allowNull: false },
        expire: { type: types.DATE(6), allowNull: false },
        userId: { type: types.INTEGER },
      }, { tableName: table, timestamps: true, updatedAt: false });
      const store = openStore(sequelize, {
        model,
        createTable: true,
        expiration: { absolute: HOUR },
        extras: (data, session) => {
          data.userId = (session as unknown as { userId: number }).userId;
        },
      });
      const realNow = Date.now;
      try {
        await store.set('old', makeSession(DAY, { userId: 7 }));
        // Two hours later: 'old' is past its absolute lifetime, 'young' is not.
        const later = realNow() + 2 * HOUR;
        Date.now = () => later;
        await store.set('young', makeSession(DAY, { userId: 7 }));
        assert.equal(await store.length(), 1);
        assert.equal(await store.destroyWhere({ userId: 7 }), 1, 'only the session still usable is signed out');
        assert.equal(await store.length(), 0);
      } finally {
        Date.now = realNow;
        await store.close();
      }
    });
  });
}
