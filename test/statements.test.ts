// SPEC §3: one statement per operation (counted through Sequelize's `logging` hook), whatever the
// state of the row (new, existing, expired, destroyed), and no hidden statement over many operations.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  dropTable,
  makeSession,
  openStore,
  sameDatabase,
  statementsDuring,
  type LoggedDb,
  type SequelizeSessionStore,
} from './support/store-kit.js';

// On a Galera node a get is `SET STATEMENT wsrep_sync_wait=1 FOR SELECT …`: one statement, a SELECT.
const verb = (sql: string) => sql.trimStart().replace(/^SET STATEMENT .+? FOR /is, '').split(/\s+/, 1)[0]!.toUpperCase();

for (const target of targets()) {
  describe(`${target.tag} one statement per operation (SPEC §3)`, () => {
    const table = uniqueTable('stm');
    const open = sameDatabase(target);
    let db: LoggedDb;
    let store: SequelizeSessionStore;

    before(async () => {
      db = open();
      store = openStore(db.sequelize, { tableName: table });
      await store.sync();
      await store.get('warm-up');
    });
    after(async () => {
      await store?.close();
      await dropTable(db.sequelize, table);
      await db.sequelize?.close();
    });

    describe('one statement per operation', () => {
      it('set: exactly 1 statement, an INSERT (upsert), for a new row and for an existing one', async () => {
        const first = await statementsDuring(db.log, () => store.set('count-set', makeSession(HOUR, { v: 1 })));
        assert.equal(first.length, 1, first.join('\n'));
        assert.equal(verb(first[0]!), 'INSERT');
        const second = await statementsDuring(db.log, () => store.set('count-set', makeSession(HOUR, { v: 2 })));
        assert.equal(second.length, 1, second.join('\n'));
        assert.equal(verb(second[0]!), 'INSERT');
      });

      it('get: exactly 1 statement, hit or miss', async () => {
        const hit = await statementsDuring(db.log, () => store.get('count-set'));
        assert.equal(hit.length, 1, hit.join('\n'));
        assert.equal(verb(hit[0]!), 'SELECT');
        assert.equal((await statementsDuring(db.log, () => store.get('count-missing'))).length, 1);
      });

      it('touch: exactly 1 statement', async () => {
        const touched = await statementsDuring(db.log, () => store.touch('count-set', makeSession(2 * HOUR)));
        assert.equal(touched.length, 1, touched.join('\n'));
        assert.equal(verb(touched[0]!), 'UPDATE');
      });

      it('destroy: exactly 1 statement', async () => {
        const destroyed = await statementsDuring(db.log, () => store.destroy('count-set'));
        assert.equal(destroyed.length, 1, destroyed.join('\n'));
        assert.equal((await statementsDuring(db.log, () => store.destroy('count-missing'))).length, 1);
      });

      it('set never runs a SELECT (new, existing, expired, destroyed, with a browser-session cookie)', async () => {
        const statements = await statementsDuring(db.log, async () => {
          await store.set('nosel-1', makeSession(HOUR));
          await store.set('nosel-1', makeSession(HOUR, { again: true }));
          await store.set('nosel-2', makeSession(-HOUR));
          await store.set('nosel-2', makeSession(HOUR));
          await store.set('nosel-3', makeSession(null));
        });
        await store.destroy('nosel-1');
        const afterDestroy = await statementsDuring(db.log, () => store.set('nosel-1', makeSession(HOUR)));
        assert.equal(statements.length, 5);
        for (const sql of [...statements, ...afterDestroy]) assert.equal(verb(sql), 'INSERT', sql);
      });

      it('the counts are the same after many operations (no hidden statements creep in)', async () => {
        const n = await statementsDuring(db.log, async () => {
          for (let i = 0; i < 10; i++) {
            await store.set(`loop-${i}`, makeSession(HOUR, { i }));
            await store.get(`loop-${i}`);
            await store.touch(`loop-${i}`, makeSession(2 * HOUR, { i }));
            await store.destroy(`loop-${i}`);
          }
        });
        assert.equal(n.length, 40);
      });
    });
  });
}
