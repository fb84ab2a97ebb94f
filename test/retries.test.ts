// Contention is retried, a lost connection is not: a real database whose connections fail the next
// statements on the store's table with the driver's own error (a deadlock, a busy SQLite
// database), whichever execution path the store takes; or whose pool cannot connect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SessionStoreError } from '../src/errors.js';
import { SequelizeSessionStore } from '../src/store.js';
import { driverError, interceptAcquire, interceptStatements } from './support/intercept.js';
import { targets, uniqueTable } from './support/targets.js';
import { makeSession, HOUR } from './support/store-kit.js';
import { forDialect } from './support/per-dialect.js';

/** Sequelize's error for a pool that cannot connect, with the driver's code under `parent` (v6) and `cause` (v7). */
function refused(): Error {
  const driver = driverError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1');
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
    name: 'SequelizeConnectionRefusedError',
    parent: driver,
    original: driver,
    cause: driver,
  });
}

for (const target of targets()) {
  describe(`${target.tag} retries`, () => {
    let sequelize: any;
    let store: SequelizeSessionStore;
    let failures: Error[] = [];
    let refusals: Error[] = [];
    let calls = 0;
    const table = uniqueTable('retry');
    /** On a Galera node the store makes more attempts (certification conflicts between nodes). */
    let attempts = 3;

    before(async () => {
      sequelize = target.connect();
      // Fails the next statements on the table with the queued errors, then lets them through.
      interceptStatements(target, sequelize, (sql) => {
        if (!sql.includes(table)) return undefined;
        calls++;
        const failure = failures.shift();
        return failure ? { fail: failure } : undefined;
        // Behind a pooler a named statement may be refused unrun, once, and go again unnamed: not an attempt.
      }, () => calls--);
      interceptAcquire(sequelize, () => undefined, () => {
        const refusal = refusals.shift();
        if (refusal) {
          calls++;
          throw refusal;
        }
      });
      store = new SequelizeSessionStore({ sequelize, tableName: table, expiration: { interval: false } });
      await store.sync();
      if (target.dialect === 'mariadb' || target.dialect === 'mysql') {
        const [row] = (await sequelize.query('SELECT @@global.wsrep_on AS w', { type: 'SELECT', raw: true }).catch(() => [])) as Array<{ w?: unknown }>;
        if (Number(row?.w) === 1) attempts = 6;
      }
    });

    after(async () => {
      await store.close();
      await sequelize.getQueryInterface().dropTable(table);
      await sequelize.close();
    });

    const codes = forDialect(target, { postgres: ['40P01', '40001'], sqlite: ['SQLITE_BUSY'], default: ['ER_LOCK_DEADLOCK'] });
    for (const code of codes) {
      it(`runs a statement again after ${code}, and the write lands`, async () => {
        failures = [driverError(code)];
        calls = 0;
        await store.set('retried', makeSession(HOUR, { n: code }));
        assert.equal(calls, 2);
        assert.equal((await store.get('retried'))?.n, code);
      });
    }

    it('gives up after three attempts (six on a Galera node) with a transient error naming the code', async () => {
      const code = codes[0]!;
      failures = Array.from({ length: attempts }, () => driverError(code));
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
      refusals = [refused()];
      calls = 0;
      await assert.rejects(store.get('anything'), (error: unknown) => {
        assert.ok(error instanceof SessionStoreError);
        assert.equal(error.transient, true);
        return true;
      });
      assert.equal(calls, 1);
    });

    it('does not retry a permanent error', async () => {
      failures = [driverError(forDialect(target, { postgres: '42P01', sqlite: 'SQLITE_ERROR', default: 'ER_NO_SUCH_TABLE' }))];
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
