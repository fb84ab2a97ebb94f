// Contention is retried, a lost connection is not: a real database behind a Sequelize instance whose
// `query` fails the first time with an error shaped like Sequelize's, the way a deadlock or a busy
// SQLite database would surface.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SessionStoreError } from '../src/errors.js';
import { SequelizeSessionStore } from '../src/store.js';
import { targets, uniqueTable } from './support/targets.js';
import { makeSession, HOUR } from './support/store-kit.js';

/** Sequelize's shape of a driver failure: the driver's code under `parent` (v6) and `cause` (v7). */
function driverFailure(name: string, code: string): Error {
  const driver = Object.assign(new Error(`driver says ${code}`), { code });
  return Object.assign(new Error(`${name}: ${code}`), { name, parent: driver, original: driver, cause: driver });
}

for (const target of targets()) {
  describe(`${target.tag} retries`, () => {
    let sequelize: any;
    let store: SequelizeSessionStore;
    let failures: Error[] = [];
    let calls = 0;
    const table = uniqueTable('retry');
    /** On a Galera node the store makes more attempts (certification conflicts between nodes). */
    let attempts = 3;

    before(async () => {
      sequelize = target.connect();
      const query = sequelize.query.bind(sequelize);
      // Fails the next statements with the queued errors, then lets them through to the database.
      sequelize.query = (sql: string, options: unknown) => {
        calls++;
        const failure = failures.shift();
        return failure ? Promise.reject(failure) : query(sql, options);
      };
      store = new SequelizeSessionStore({ sequelize, tableName: table, expiration: { interval: false } });
      await store.sync();
      if (target.dialect === 'mariadb' || target.dialect === 'mysql') {
        const [row] = (await query('SELECT @@global.wsrep_on AS w', { type: 'SELECT', raw: true }).catch(() => [])) as Array<{ w?: unknown }>;
        if (Number(row?.w) === 1) attempts = 6;
      }
    });

    after(async () => {
      await store.close();
      await sequelize.getQueryInterface().dropTable(table);
      await sequelize.close();
    });

    const codes = target.dialect === 'postgres' ? ['40P01', '40001'] : target.dialect === 'sqlite' ? ['SQLITE_BUSY'] : ['ER_LOCK_DEADLOCK'];
    for (const code of codes) {
      it(`runs a statement again after ${code}, and the write lands`, async () => {
        failures = [driverFailure('SequelizeDatabaseError', code)];
        calls = 0;
        await store.set('retried', makeSession(HOUR, { n: code }));
        assert.equal(calls, 2);
        assert.equal((await store.get('retried'))?.n, code);
      });
    }

    it('gives up after three attempts (six on a Galera node) with a transient error naming the code', async () => {
      const code = codes[0]!;
      failures = Array.from({ length: attempts }, () => driverFailure('SequelizeDatabaseError', code));
      calls = 0;
      await assert.rejects(store.set('busy', makeSession(HOUR)), (error: unknown) => {
        assert.ok(error instanceof SessionStoreError);
        assert.equal(error.code, 'ERR_DATABASE');
        assert.equal(error.transient, true);
        assert.match(error.message, new RegExp(code));
        return true;
      });
      assert.equal(calls, attempts);
    });

    it('fails fast on a refused connection: one attempt, transient', async () => {
      failures = [driverFailure('SequelizeConnectionRefusedError', 'ECONNREFUSED')];
      calls = 0;
      await assert.rejects(store.get('anything'), (error: unknown) => {
        assert.ok(error instanceof SessionStoreError);
        assert.equal(error.transient, true);
        return true;
      });
      assert.equal(calls, 1);
    });

    it('does not retry a permanent error', async () => {
      failures = [driverFailure('SequelizeDatabaseError', target.dialect === 'postgres' ? '42P01' : 'ER_NO_SUCH_TABLE')];
      calls = 0;
      await assert.rejects(store.destroy('anything'), (error: unknown) => {
        assert.ok(error instanceof SessionStoreError);
        assert.equal(error.transient, false);
        return true;
      });
      assert.equal(calls, 1);
    });
  });
}
