// Issue 6 (SPEC §2.1 expiration.absolute): a session older than `absolute` is gone however active
// it is. Its creation time (the created model's `created` column) is made old through a raw UPDATE.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable, type Target } from './support/targets.js';
import { HOUR, dropTable, makeSession, openStore, quoteIdentifier, quoteTable, rawRow, withoutCookie, type SequelizeSessionStore } from './support/store-kit.js';

/** Sets the creation time of `sid`'s row to `ms`, in the form each dialect compares right. */
async function setCreated(target: Target, sequelize: any, table: string, sid: string, ms: number): Promise<void> {
  const q = (name: string) => quoteIdentifier(sequelize, name);
  const mysqlLike = target.dialect === 'mysql' || target.dialect === 'mariadb';
  const value = mysqlLike
    ? ms
    : target.dialect === 'sqlite'
      ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' +00:00')
      : new Date(ms).toISOString();
  const placeholder = mysqlLike ? 'FROM_UNIXTIME($1 / 1000)' : '$1';
  await sequelize.query(`UPDATE ${quoteTable(sequelize, table)} SET ${q('created')} = ${placeholder} WHERE ${q('sid')} = $2`, {
    bind: [value, sid],
    type: 'BULKUPDATE',
    raw: true,
    logging: false,
  });
}

for (const target of targets()) {
  describe(`${target.tag} hardening: expiration.absolute`, () => {
    const table = uniqueTable('hard_abs');
    let sequelize: any;
    let store: SequelizeSessionStore;

    before(async () => {
      sequelize = target.connect();
      store = openStore(sequelize, { tableName: table, expiration: { absolute: HOUR } });
      await store.sync();
    });

    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    it('a young session works (get, touch, all, length)', async () => {
      await store.set('abs-young', makeSession(HOUR, { age: 'young' }));
      await setCreated(target, sequelize, table, 'abs-young', Date.now() - HOUR / 2);
      assert.deepEqual(withoutCookie(await store.get('abs-young')), { age: 'young' });
      await store.touch('abs-young', makeSession(2 * HOUR, { age: 'young' }));
      assert.deepEqual(withoutCookie(await store.get('abs-young')), { age: 'young' });
      assert.ok('abs-young' in (await store.all()));
    });

    it('a session older than `absolute` is gone however active: get null, touch does not revive it, nor does a set', async () => {
      await store.set('abs-old', makeSession(HOUR, { age: 'old' }));
      assert.deepEqual(withoutCookie(await store.get('abs-old')), { age: 'old' });
      await setCreated(target, sequelize, table, 'abs-old', Date.now() - 2 * HOUR);
      // Its idle expiry is an hour away: only its total age makes it gone.
      assert.ok((await rawRow(sequelize, table, 'abs-old'))!.expire > Date.now() + HOUR / 2);
      assert.equal(await store.get('abs-old'), null);
      const expireBefore = (await rawRow(sequelize, table, 'abs-old'))!.expire;
      await store.touch('abs-old', makeSession(3 * HOUR, { age: 'old' }));
      assert.equal((await rawRow(sequelize, table, 'abs-old'))!.expire, expireBefore, 'touch moved the expiry of a session past its absolute age');
      assert.equal(await store.get('abs-old'), null);
      // Saving the session again (activity) keeps its creation time: still gone.
      await store.set('abs-old', makeSession(HOUR, { age: 'old', active: true }));
      assert.equal(await store.get('abs-old'), null);
      assert.equal('abs-old' in (await store.all()), false);
    });

    it('length() does not count a session past its absolute age', async () => {
      const before = await store.length();
      await store.set('abs-count', makeSession(HOUR));
      assert.equal(await store.length(), before + 1);
      await setCreated(target, sequelize, table, 'abs-count', Date.now() - 3 * HOUR);
      assert.equal(await store.length(), before);
    });
  });
}
