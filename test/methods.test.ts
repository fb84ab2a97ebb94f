// SPEC §2.2: every method of the store, promise and callback forms, on every target, and close();
// and the CommonJS shape of SPEC §2 (the seed's factory form, word for word).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import session = require('express-session');
import sequelizeSessionStore = require('../src/index.js');
import { targets, uniqueTable } from './support/targets.js';
import {
  DAY,
  HOUR,
  SequelizeSessionStore,
  connectLogged,
  defineUserModel,
  dropTable,
  makeSession,
  openStore,
  rawCount,
  rawRow,
  rejectsWithCode,
  viaCallback,
  withoutCookie,
} from './support/store-kit.js';

for (const target of targets()) {
  describe(`${target.tag} store methods`, () => {
    const table = uniqueTable('api');
    const userTable = uniqueTable('api_user');
    let sequelize: any;
    let store: SequelizeSessionStore;
    let userModel: any;
    let userStore: SequelizeSessionStore;

    before(async () => {
      sequelize = connectLogged(target).sequelize;
      store = openStore(sequelize, { tableName: table });
      userModel = defineUserModel(target, sequelize, userTable);
      await userModel.sync();
      userStore = openStore(sequelize, {
        model: userModel,
        extras: (data, sess) => {
          data.userId = (sess as { userId?: number }).userId ?? null;
        },
      });
    });

    after(async () => {
      await store?.close();
      await userStore?.close();
      await dropTable(sequelize, table);
      await dropTable(sequelize, userTable);
      await sequelize?.close();
    });

    it('get of a missing session resolves to null (promise and callback)', async () => {
      assert.equal(await store.get('missing-1'), null);
      const [error, value] = await viaCallback<unknown>((cb) => store.get('missing-2', cb));
      assert.equal(error, null);
      assert.equal(value, null);
    });

    it('set then get returns the same data (promise form)', async () => {
      const sess = makeSession(HOUR, { user: { id: 7, name: 'Ada' }, visits: 3, tags: ['a', 'b'], flag: false });
      assert.equal(await store.set('set-get', sess), undefined);
      const got = await store.get('set-get');
      assert.deepEqual(withoutCookie(got), { user: { id: 7, name: 'Ada' }, visits: 3, tags: ['a', 'b'], flag: false });
      // (exact to the millisecond: see expiry-and-touch.test.ts; here a 1 ms tolerance keeps this test about get/set)
      assert.ok(Math.abs(new Date(String(got!.cookie.expires)).getTime() - new Date(String(sess.cookie.expires)).getTime()) <= 1);
      assert.equal(got!.cookie.originalMaxAge, HOUR);
    });

    it('set and get with node-style callbacks', async () => {
      const [setError] = await viaCallback((cb) => store.set('cb-set', makeSession(HOUR, { n: 1 }), cb));
      assert.equal(setError, null);
      const [getError, got] = await viaCallback<any>((cb) => store.get('cb-set', cb));
      assert.equal(getError, null);
      assert.equal(got.n, 1);
    });

    it('a rejected operation reaches the callback, and the returned promise does not reject', async () => {
      const [error] = await viaCallback((cb) => store.set('', makeSession(HOUR), cb));
      assert.equal((error as { code?: string }).code, 'ERR_INVALID_SID');
    });

    it('set replaces an existing session (one row, the last data)', async () => {
      await store.set('replace', makeSession(HOUR, { v: 1 }));
      await store.set('replace', makeSession(2 * HOUR, { v: 2 }));
      assert.equal((await store.get('replace') as any).v, 2);
      const row = await rawRow(sequelize, table, 'replace');
      assert.ok(row);
      assert.ok(Math.abs(row.expire - (Date.now() + 2 * HOUR)) < 60_000);
    });

    it('a session stored with an expiry already past is stored but never returned', async () => {
      await store.set('born-expired', makeSession(-1000, { v: 1 }));
      assert.equal(await store.get('born-expired'), null);
      assert.ok(await rawRow(sequelize, table, 'born-expired'), 'the row is stored until the next prune');
    });

    it('touch of a missing session is not an error and creates nothing (promise and callback)', async () => {
      assert.equal(await store.touch('never-stored', makeSession(HOUR)), undefined);
      const [error] = await viaCallback((cb) => store.touch('never-stored-2', makeSession(HOUR), cb));
      assert.equal(error, null);
      assert.equal(await rawRow(sequelize, table, 'never-stored'), undefined);
      assert.equal(await rawRow(sequelize, table, 'never-stored-2'), undefined);
      assert.equal(await store.get('never-stored'), null);
    });

    it('touch moves the expiry and keeps the data', async () => {
      await store.set('touched', makeSession(HOUR, { keep: 'me' }));
      await store.touch('touched', makeSession(5 * HOUR, { keep: 'NOT WRITTEN' }));
      const got = (await store.get('touched')) as any;
      assert.equal(got.keep, 'me', 'touch never rewrites the data');
      const row = await rawRow(sequelize, table, 'touched');
      assert.ok(Math.abs(row!.expire - (Date.now() + 5 * HOUR)) < 60_000);
    });

    it('touch with a callback', async () => {
      await store.set('touched-cb', makeSession(HOUR));
      const [error] = await viaCallback((cb) => store.touch('touched-cb', makeSession(3 * HOUR), cb));
      assert.equal(error, null);
      const row = await rawRow(sequelize, table, 'touched-cb');
      assert.ok(Math.abs(row!.expire - (Date.now() + 3 * HOUR)) < 60_000);
    });

    it('destroy removes the session; destroying a missing one is not an error (promise and callback)', async () => {
      await store.set('doomed', makeSession(HOUR, { secret: 1 }));
      assert.equal(await store.destroy('doomed'), undefined);
      assert.equal(await store.get('doomed'), null);
      const row = await rawRow(sequelize, table, 'doomed');
      assert.ok(row === undefined || !String(row.sess).includes('secret'), 'the data is gone, at most a marker stays');
      assert.equal(await store.destroy('never-there'), undefined);
      await store.set('doomed-cb', makeSession(HOUR));
      const [error] = await viaCallback((cb) => store.destroy('doomed-cb', cb));
      assert.equal(error, null);
      assert.equal(await store.get('doomed-cb'), null);
      const [missingError] = await viaCallback((cb) => store.destroy('never-there-cb', cb));
      assert.equal(missingError, null);
    });

    describe('whole-table methods', () => {
      before(async () => {
        await store.clear();
      });

      it('all() returns the unexpired sessions keyed by sid (promise and callback)', async () => {
        await store.clear();
        await store.set('all-a', makeSession(HOUR, { name: 'a' }));
        await store.set('all-b', makeSession(null, { name: 'b' }));
        await store.set('all-expired', makeSession(-5000, { name: 'x' }));
        await store.set('all-destroyed', makeSession(HOUR, { name: 'd' }));
        await store.destroy('all-destroyed');
        const all = await store.all();
        assert.deepEqual(Object.keys(all).sort(), ['all-a', 'all-b']);
        assert.equal((all['all-a'] as any).name, 'a');
        assert.equal((all['all-b'] as any).name, 'b');
        assert.equal(all['all-b']!.cookie.expires, null, 'a browser-session cookie stays without expires');
        const [error, viaCb] = await viaCallback<Record<string, unknown>>((cb) => store.all(cb));
        assert.equal(error, null);
        assert.deepEqual(Object.keys(viaCb!).sort(), ['all-a', 'all-b']);
      });

      it('length() counts only the unexpired sessions (promise and callback)', async () => {
        await store.clear();
        await store.set('len-1', makeSession(HOUR));
        await store.set('len-2', makeSession(DAY));
        await store.set('len-3', makeSession(null));
        await store.set('len-old', makeSession(-1));
        await store.set('len-gone', makeSession(HOUR));
        await store.destroy('len-gone');
        assert.equal(await store.length(), 3);
        const [error, n] = await viaCallback<number>((cb) => store.length(cb));
        assert.equal(error, null);
        assert.equal(n, 3);
      });

      it('clear() removes every row of the table (promise and callback)', async () => {
        await store.set('clear-1', makeSession(HOUR));
        await store.set('clear-2', makeSession(-HOUR));
        await store.clear();
        assert.equal(await rawCount(sequelize, table), 0);
        assert.equal(await store.length(), 0);
        await store.set('clear-3', makeSession(HOUR));
        const [error] = await viaCallback((cb) => store.clear(cb));
        assert.equal(error, null);
        assert.equal(await rawCount(sequelize, table), 0);
      });

      it('cleanExpired() removes the expired rows only and resolves to how many (promise and callback)', async () => {
        await store.clear();
        for (const sid of ['old-1', 'old-2', 'old-3']) await store.set(sid, makeSession(-60_000));
        await store.set('fresh-1', makeSession(HOUR, { v: 1 }));
        await store.set('fresh-2', makeSession(null, { v: 2 }));
        assert.equal(await store.cleanExpired(), 3);
        assert.equal(await rawCount(sequelize, table), 2);
        assert.equal((await store.get('fresh-1') as any).v, 1);
        assert.equal((await store.get('fresh-2') as any).v, 2);
        assert.equal(await store.cleanExpired(), 0);
        await store.set('old-4', makeSession(-1));
        const [error, n] = await viaCallback<number>((cb) => store.cleanExpired(cb));
        assert.equal(error, null);
        assert.equal(n, 1);
      });
    });

    describe('destroyWhere (sign out everywhere else)', () => {
      before(async () => {
        await userStore.clear();
      });

      it('removes the matching sessions except `except`, resolves to the count, leaves others alone', async () => {
        await userStore.set('u42-current', makeSession(HOUR, { userId: 42 }));
        await userStore.set('u42-phone', makeSession(HOUR, { userId: 42 }));
        await userStore.set('u42-tablet', makeSession(null, { userId: 42 }));
        await userStore.set('u7-laptop', makeSession(HOUR, { userId: 7 }));
        await userStore.set('anonymous', makeSession(HOUR, {}));
        const rows = await userModel.findAll({ raw: true, order: [['sid', 'ASC']] });
        assert.deepEqual(
          rows.map((r: any) => [Buffer.isBuffer(r.sid) ? r.sid.toString() : r.sid, r.userId]),
          [['anonymous', null], ['u42-current', 42], ['u42-phone', 42], ['u42-tablet', 42], ['u7-laptop', 7]],
          'extras filled the userId column',
        );

        assert.equal(await userStore.destroyWhere({ userId: 42 }, { except: 'u42-current' }), 2);
        assert.equal((await userStore.get('u42-current') as any).userId, 42, 'the current session stays signed in');
        assert.equal(await userStore.get('u42-phone'), null);
        assert.equal(await userStore.get('u42-tablet'), null);
        assert.equal((await userStore.get('u7-laptop') as any).userId, 7);
        assert.ok(await userStore.get('anonymous'));
        assert.equal(await userStore.length(), 3);
      });

      it('a second call removes nothing more and resolves to 0', async () => {
        assert.equal(await userStore.destroyWhere({ userId: 42 }, { except: 'u42-current' }), 0);
        assert.ok(await userStore.get('u42-current'));
      });

      it('without except removes all of them; callback forms with and without options', async () => {
        await userStore.set('u9-a', makeSession(HOUR, { userId: 9 }));
        await userStore.set('u9-b', makeSession(HOUR, { userId: 9 }));
        const [error, n] = await viaCallback<number>((cb) => userStore.destroyWhere({ userId: 9 }, cb));
        assert.equal(error, null);
        assert.equal(n, 2);
        assert.equal(await userStore.get('u9-a'), null);
        const [error2, n2] = await viaCallback<number>((cb) => userStore.destroyWhere({ userId: 42 }, { except: 'nobody' }, cb));
        assert.equal(error2, null);
        assert.equal(n2, 1);
        assert.equal(await userStore.get('u42-current'), null);
      });

      it('a destroyed-by-destroyWhere session is not brought back by a late set', async () => {
        await userStore.set('u5-a', makeSession(HOUR, { userId: 5 }));
        assert.equal(await userStore.destroyWhere({ userId: 5 }), 1);
        await userStore.set('u5-a', makeSession(HOUR, { userId: 5, late: true }));
        assert.equal(await userStore.get('u5-a'), null);
      });

      it('refuses a column that is not an extra attribute, and an empty where', async () => {
        await assert.rejects(userStore.destroyWhere({ nope: 1 }), { code: 'ERR_INVALID_ARGUMENT' });
        await assert.rejects(userStore.destroyWhere({ sess: 'x' }), { code: 'ERR_INVALID_ARGUMENT' });
        await assert.rejects(userStore.destroyWhere({}), { code: 'ERR_INVALID_ARGUMENT' });
      });
    });

    it('sync() creates the table and its expire index, and is idempotent (promise and callback)', async () => {
      const syncTable = uniqueTable('api_sync');
      const syncStore = openStore(sequelize, { tableName: syncTable });
      try {
        await syncStore.sync();
        await syncStore.sync();
        const [error] = await viaCallback((cb) => syncStore.sync(cb));
        assert.equal(error, null);
        const qi = sequelize.queryInterface ?? sequelize.getQueryInterface();
        const indexes = (await qi.showIndex(syncTable)) as Array<{ name: string; fields: Array<{ attribute: string }> }>;
        assert.ok(
          indexes.some((index) => index.fields?.[0]?.attribute === 'expire'),
          `an index on expire, got ${JSON.stringify(indexes.map((i) => i.name))}`,
        );
        assert.equal(await rawCount(sequelize, syncTable), 0);
      } finally {
        await syncStore.close();
        await dropTable(sequelize, syncTable);
      }
    });

    it('close() with a callback; the Sequelize instance stays open', async () => {
      const closing = openStore(sequelize, { tableName: table });
      await closing.set('close-cb', makeSession(HOUR));
      const [error] = await viaCallback((cb) => closing.close(cb));
      assert.equal(error, null);
      const rows = await sequelize.query('SELECT 1 AS one', { type: 'SELECT', raw: true });
      assert.equal(Number(rows[0].one), 1);
    });

    it('`model` is the Sequelize model in use', async () => {
      const model = store.model as any;
      assert.equal(typeof model, 'function');
      const name = model.modelDefinition ? model.table.tableName : model.getTableName();
      assert.equal(name, table);
      await store.set('model-prop', makeSession(HOUR, { via: 'store' }));
      const row = await model.findOne({ where: { sid: 'model-prop' }, raw: true });
      assert.ok(row, 'the model reads the row the store wrote');
      assert.equal(JSON.parse(row.sess).via, 'store');
      assert.equal(userStore.model, userModel, 'a user model is exposed as is');
    });
  });

  describe(`${target.tag} CommonJS shape (SPEC §2, the seed form)`, () => {
    const table = uniqueTable('api_cjs');
    let sequelize: any;
    let model: any;
    const stores: SequelizeSessionStore[] = [];

    before(async () => {
      sequelize = connectLogged(target).sequelize;
      model = defineUserModel(target, sequelize, table);
      await model.sync();
    });
    after(async () => {
      for (const s of stores) await s.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    it("require('…') is the factory and carries .SequelizeSessionStore and .default", () => {
      const required = require('../src/index.js');
      assert.equal(typeof required, 'function');
      assert.equal(required, sequelizeSessionStore);
      assert.equal(typeof required.SequelizeSessionStore, 'function');
      assert.equal(required.default, required);
      assert.equal(typeof required(session), 'function');
    });

    it('the seed form, word for word, without new: SequelizeSessionStore({ model, db, extras })', async () => {
      const SequelizeSessionStore = sequelizeSessionStore(session) as any;
      const aSequelizeModel = model;
      const store = SequelizeSessionStore({ model: aSequelizeModel, db: sequelize, extras: (data: any) => { data.device = 'someData'; } });
      stores.push(store);
      assert.ok(store instanceof sequelizeSessionStore.SequelizeSessionStore);
      assert.ok(store instanceof session.Store, 'an express-session Store');
      await store.set('seed-no-new', makeSession(HOUR, { a: 1 }));
      assert.equal(((await store.get('seed-no-new')) as any).a, 1);
      const row = await model.findOne({ where: { sid: 'seed-no-new' }, raw: true });
      assert.equal(row.device, 'someData', 'the seed-form extras filled the column');
    });

    it('the seed form with new, and the class from .SequelizeSessionStore', async () => {
      const SequelizeSessionStore = sequelizeSessionStore(session);
      const store = new SequelizeSessionStore({ model, db: sequelize, extras: (data) => ({ ...data, device: 'returned' }) });
      stores.push(store);
      await store.set('seed-new', makeSession(HOUR, { b: 2 }));
      assert.equal(((await store.get('seed-new')) as any).b, 2);
      const row = await model.findOne({ where: { sid: 'seed-new' }, raw: true });
      assert.equal(row.device, 'returned');
      const Modern = sequelizeSessionStore.SequelizeSessionStore;
      const modern = new Modern({ sequelize, model });
      stores.push(modern);
      assert.equal(((await modern.get('seed-new')) as any).b, 2);
    });
  });
}

for (const target of targets()) {
  describe(`${target.tag} close()`, () => {
    const table = uniqueTable('api_close');
    let sequelize: any;
    let store: SequelizeSessionStore;

    before(async () => {
      sequelize = connectLogged(target).sequelize;
      store = openStore(sequelize, { tableName: table });
      await store.sync();
    });
    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    describe('close()', () => {
      it('waits for operations in flight, then every operation rejects with ERR_STORE_CLOSED', async () => {
        // An instance of our own whose `benchmark` logging records when each statement has finished in the database.
        const order: string[] = [];
        const storage = sequelize.options.storage ?? sequelize.options.replication?.write?.storage;
        const watched: any = target.connect({
          ...(target.dialect === 'sqlite' ? { storage } : {}),
          benchmark: true,
          logging: (line: string) => line.startsWith('Executed') && order.push('statement done'),
        });
        const s = openStore(watched, { tableName: table });
        await s.sync();
        order.length = 0;
        try {
          const writing = s.set('closing', makeSession(HOUR, { v: 1 }));
          await s.close().then(() => order.push('close'));
          await writing;
        } finally {
          await watched.close();
        }
        assert.deepEqual(order, ['statement done', 'close'], 'close resolved after the set in flight finished');
        assert.equal((await store.get('closing') as any).v, 1, 'the in-flight set completed');
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['get', () => s.get('closing')],
          ['set', () => s.set('closing', makeSession(HOUR))],
          ['touch', () => s.touch('closing', makeSession(HOUR))],
          ['destroy', () => s.destroy('closing')],
          ['all', () => s.all()],
          ['length', () => s.length()],
          ['clear', () => s.clear()],
          ['cleanExpired', () => s.cleanExpired()],
          ['destroyWhere', () => s.destroyWhere({ userId: 1 })],
          ['sync', () => s.sync()],
        ];
        for (const [name, call] of calls) {
          const error = await rejectsWithCode(call(), 'ERR_STORE_CLOSED');
          assert.ok(error.message.length > 0, name);
        }
        const [error] = await viaCallback((cb) => s.get('closing', cb));
        assert.equal((error as { code?: string }).code, 'ERR_STORE_CLOSED');
        assert.ok(await store.get('closing'), 'nothing was destroyed after close');
        assert.equal(await s.close(), undefined, 'close twice is fine');
      });
    });
  });
}
