// Issue 6, race test (SPEC §3 "Logouts stick"): once destroy(sid) has resolved, the sets and touches
// of that session that were already in flight (a slow request in another tab) do not bring it back.
// "In flight" is simulated two ways: issued just after destroy resolved (they started before the
// logout but reach the database after it), and truly concurrent with it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { targets, uniqueTable } from './support/targets.js';
import { HOUR, dropTable, makeSession, openStore, withoutCookie, type SequelizeSessionStore } from './support/store-kit.js';

const key = () => randomBytes(32);

const variants = [
  { name: 'plain', options: {} },
  { name: 'hashSids + encryption', options: { hashSids: true, encryption: { keys: [key()] } } },
] as const;

for (const target of targets()) {
  describe(`${target.tag} hardening: destroy races (logouts stick)`, () => {
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
