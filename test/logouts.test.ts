// SPEC §3 "Logouts stick": once destroy(sid) has resolved, the sets and touches of that session that
// were already in flight (a slow request in another tab, another process) do not bring it back.
// "In flight" is simulated two ways: issued just after destroy resolved (they started before the
// logout but reach the database after it), and truly concurrent with it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  dropTable,
  makeSession,
  openStore,
  rawRow,
  sameDatabase,
  withoutCookie,
  type LoggedDb,
  type SequelizeSessionStore,
} from './support/store-kit.js';

const key = () => randomBytes(32);

const variants = [
  { name: 'plain', options: {} },
  { name: 'hashSids + encryption', options: { hashSids: true, encryption: { keys: [key()] } } },
] as const;

for (const target of targets()) {
  describe(`${target.tag} destroy races (logouts stick)`, () => {
    const table = uniqueTable('hard_race');
    let sequelize: any;
    const stores: SequelizeSessionStore[] = [];

    before(async () => {
      sequelize = target.connect({ pool: { max: 10 } });
    });

    after(async () => {
      for (const store of stores) await store.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    for (const variant of variants) {
      describe(variant.name, () => {
        let store: SequelizeSessionStore;
        before(async () => {
          store = openStore(sequelize, { tableName: table, ...variant.options });
          stores.push(store);
          await store.sync();
        });

        const sid = (name: string) => `race-${variant.name.replace(/\W+/g, '-')}-${name}-${Math.random().toString(36).slice(2)}`;

        it('50 sets and touches that reach the database after destroy resolved do not bring the session back', async () => {
          const id = sid('after');
          await store.set(id, makeSession(HOUR, { user: 'ada', step: 0 }));
          assert.deepEqual(withoutCookie(await store.get(id)), { user: 'ada', step: 0 });
          await store.destroy(id);
          const late = Array.from({ length: 50 }, (_, i) =>
            i % 2 === 0 ? store.set(id, makeSession(HOUR, { user: 'ada', step: i })) : store.touch(id, makeSession(2 * HOUR, { user: 'ada' })),
          );
          // They settle without an error: a blocked write is not the request's failure.
          await Promise.all(late);
          assert.equal(await store.get(id), null);
          assert.deepEqual(await store.all().then((all) => Object.keys(all).filter((k) => k === id)), []);
        });

        it('50 sets and touches concurrent with destroy, and one more set afterwards: the session stays gone', async () => {
          const id = sid('concurrent');
          await store.set(id, makeSession(HOUR, { user: 'grace', step: 0 }));
          const writes = (from: number) =>
            Array.from({ length: 25 }, (_, i) =>
              (from + i) % 2 === 0
                ? store.set(id, makeSession(HOUR, { user: 'grace', step: from + i }))
                : store.touch(id, makeSession(2 * HOUR, { user: 'grace' })),
            );
          const before = writes(1);
          const destroyed = store.destroy(id);
          const afterwards = writes(26);
          await Promise.all([...before, destroyed, ...afterwards]);
          assert.equal(await store.get(id), null);
          // A set of that session that was still on its way after everything settled.
          await store.set(id, makeSession(HOUR, { user: 'grace', step: 99 }));
          await store.touch(id, makeSession(HOUR, { user: 'grace' }));
          assert.equal(await store.get(id), null);
        });

        it('a second store (another process) writing late is blocked too, and neighbours are untouched', async () => {
          const other = openStore(sequelize, { tableName: table, ...variant.options });
          stores.push(other);
          const id = sid('other');
          const neighbour = sid('neighbour');
          await store.set(id, makeSession(HOUR, { n: 1 }));
          await store.set(neighbour, makeSession(HOUR, { n: 'neighbour' }));
          await store.destroy(id);
          await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              i % 2 === 0 ? other.set(id, makeSession(HOUR, { n: i })) : other.touch(id, makeSession(HOUR, { n: i })),
            ),
          );
          assert.equal(await store.get(id), null);
          assert.equal(await other.get(id), null);
          assert.deepEqual(withoutCookie(await other.get(neighbour)), { n: 'neighbour' });
          assert.equal(await store.length().then((n) => n >= 1), true);
        });
      });
    }
  });
}

for (const target of targets()) {
  describe(`${target.tag} logouts stick (SPEC §3)`, () => {
    const table = uniqueTable('logout');
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

    describe('logouts stick', () => {
      it('a set arriving after destroy returned does not bring the session back', async () => {
        await store.set('logout-set', makeSession(HOUR, { user: 'ada' }));
        await store.destroy('logout-set');
        await store.set('logout-set', makeSession(HOUR, { user: 'ada', stale: true }));
        assert.equal(await store.get('logout-set'), null);
        assert.ok(!('logout-set' in (await store.all())));
        const row = await rawRow(db.sequelize, table, 'logout-set');
        assert.ok(row === undefined || !String(row.sess).includes('ada'), 'no data stored for it');
      });

      it('the same when the late set comes from another process', async () => {
        const { store: other } = otherProcess();
        await store.set('logout-xproc', makeSession(HOUR, { user: 'bob' }));
        await other.get('logout-xproc');
        await store.destroy('logout-xproc');
        await other.set('logout-xproc', makeSession(HOUR, { user: 'bob', stale: true }));
        assert.equal(await store.get('logout-xproc'), null);
        assert.equal(await other.get('logout-xproc'), null);
      });

      it('a touch arriving after destroy returned does not bring it back either', async () => {
        await store.set('logout-touch', makeSession(HOUR, { user: 'cy' }));
        await store.destroy('logout-touch');
        await store.touch('logout-touch', makeSession(5 * HOUR, { user: 'cy' }));
        assert.equal(await store.get('logout-touch'), null);
        const { store: other } = otherProcess({ touchAfter: 60_000 });
        await other.touch('logout-touch', makeSession(6 * HOUR, { user: 'cy' }));
        assert.equal(await store.get('logout-touch'), null);
        assert.equal(Object.keys(await store.all()).includes('logout-touch'), false, 'all() does not list it either');
      });

      it('a set racing the destroy, issued in the same tick, ends destroyed or stored but never errors', async () => {
        await store.set('logout-race', makeSession(HOUR, { v: 1 }));
        const results = await Promise.allSettled([store.destroy('logout-race'), store.set('logout-race', makeSession(HOUR, { v: 2 }))]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled']);
        await store.set('logout-race', makeSession(HOUR, { v: 3 }));
        assert.ok([null, 2].includes((await store.get('logout-race') as any)?.v ?? null));
      });
    });
  });
}
