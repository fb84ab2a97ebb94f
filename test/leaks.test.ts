// SPEC §2.4 "Bound parameters", §3 "Nothing leaks": every value is bound, so no SQL text Sequelize
// logs holds a sid, session content or an extras value; and during a full run of operations,
// failures included, neither Sequelize's `logging`, nor the `debug` channel, nor any error
// (message, stack, util.inspect) nor any `error` event holds a session id or session content.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { format, inspect } from 'node:util';
import createDebug from 'debug';
import { interceptStatements } from './support/intercept.js';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  connectLogged,
  defineUserModel,
  dropTable,
  makeSession,
  openStore,
  quoteIdentifier,
  quoteTable,
  statementsDuring,
  type SequelizeSessionStore,
} from './support/store-kit.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const tag = () => randomBytes(9).toString('hex');

for (const target of targets()) {
  describe(`${target.tag} nothing leaks (logging, debug, errors, events)`, () => {
    const SID = `SIDMARK-${tag()}`;
    const CONTENT = `CONTENTMARK-${tag()}`;
    const table = uniqueTable('hard_leak');
    const sqlLog: string[] = [];
    const debugLines: string[] = [];
    const errors: unknown[] = [];
    const events: unknown[] = [];
    let sequelize: any;
    let slowDb: any;
    const stores: SequelizeSessionStore[] = [];
    let previousLog: unknown;
    let previousNamespaces: string;

    /** Runs an operation expected to fail, records its error, and returns it. */
    async function failing(operation: () => Promise<unknown>): Promise<Error & { code?: string }> {
      try {
        await operation();
      } catch (error) {
        errors.push(error);
        return error as Error & { code?: string };
      }
      return assert.fail('expected the operation to fail');
    }

    const open = (options: Parameters<typeof openStore>[1] = {}, db = sequelize) => {
      const store = openStore(db, { tableName: table, ...options });
      stores.push(store);
      return store;
    };

    before(async () => {
      previousNamespaces = createDebug.disable();
      createDebug.enable('sequelize-session-store*');
      previousLog = createDebug.log;
      createDebug.log = (...args: unknown[]) => {
        debugLines.push(format(...args));
      };
      sequelize = target.connect({ logging: (sql: string) => sqlLog.push(sql) });
      slowDb = target.connect({ logging: (sql: string) => sqlLog.push(sql) });
      // A database whose statements take 400 ms, for the timeout path.
      interceptStatements(target, slowDb, () => ({ delay: 400 }));
    });

    after(async () => {
      for (const store of stores) await store.close();
      createDebug.log = previousLog as typeof createDebug.log;
      createDebug.disable();
      if (previousNamespaces) createDebug.enable(previousNamespaces);
      await dropTable(sequelize, table);
      await sequelize?.close();
      await slowDb?.close();
    });

    it('a full run of operations, failures included', async () => {
      const store = open();
      store.on('error', (error: unknown) => events.push(error));
      const content = () => makeSession(HOUR, { [CONTENT]: CONTENT, nested: { secret: CONTENT, list: [CONTENT] } });

      // The happy path.
      await store.set(`${SID}-a`, content());
      await store.set(`${SID}-b`, content());
      assert.ok(await store.get(`${SID}-a`));
      await store.touch(`${SID}-a`, content());
      assert.equal(Object.keys(await store.all()).length, 2);
      assert.equal(await store.length(), 2);
      await store.destroy(`${SID}-b`);
      await store.set(`${SID}-b`, content()); // blocked by the logout marker
      assert.equal(await store.get(`${SID}-b`), null);

      // Bad sids.
      assert.equal((await failing(() => store.set(`${SID}\u0000nul`, content()))).code, 'ERR_INVALID_SID');
      assert.equal((await failing(() => store.set(`${SID}${'x'.repeat(10_000)}`, content()))).code, 'ERR_INVALID_SID');
      assert.equal((await failing(() => store.set(`${SID}\ud800`, content()))).code, 'ERR_INVALID_SID');
      assert.equal(await store.get(`${SID}\u0000nul`), null);
      await store.touch(`${SID}${'x'.repeat(10_000)}`, content());
      await store.destroy(`${SID}\ud800`);

      // Sessions that cannot be stored.
      const cyclic: Record<string, unknown> = { ...content() };
      cyclic.self = cyclic;
      assert.equal((await failing(() => store.set(`${SID}-cyclic`, cyclic as never))).code, 'ERR_SESSION_NOT_SERIALIZABLE');
      assert.equal(
        (await failing(() => store.set(`${SID}-bigint`, { ...content(), big: BigInt(42), [CONTENT]: BigInt(7) } as never))).code,
        'ERR_SESSION_NOT_SERIALIZABLE',
      );
      const small = open({ maxSessionBytes: 1000 });
      assert.equal(
        (await failing(() => small.set(`${SID}-huge`, makeSession(HOUR, { blob: CONTENT.repeat(200) })))).code,
        'ERR_SESSION_TOO_LARGE',
      );
      // A serializer that quotes the session in its error.
      const quoting = open({
        serializer: {
          stringify: (value: unknown) => {
            throw new Error(`cannot serialize ${JSON.stringify(value)}`);
          },
          parse: JSON.parse,
        },
      });
      assert.equal((await failing(() => quoting.set(`${SID}-ser`, content()))).code, 'ERR_SESSION_NOT_SERIALIZABLE');

      // An extras that throws, quoting the sid and the session.
      const throwing = open({
        extras: (_data, session, sid) => {
          throw new Error(`extras failed for ${sid}: ${JSON.stringify(session)}`);
        },
      });
      assert.equal((await failing(() => throwing.set(`${SID}-extras`, content()))).code, 'ERR_EXTRAS_FAILED');

      // A corrupt row: a miss plus an event with a listener, the debug channel without one.
      await store.set(`${SID}-corrupt`, content());
      await sequelize.query(
        `UPDATE ${quoteTable(sequelize, table)} SET ${quoteIdentifier(sequelize, 'sess')} = $1 WHERE ${quoteIdentifier(sequelize, 'sid')} = $2`,
        { bind: [`{"broken": "${CONTENT}", ${SID}`, `${SID}-corrupt`], type: 'BULKUPDATE', raw: true, logging: false },
      );
      assert.equal(await store.get(`${SID}-corrupt`), null);
      assert.ok(events.some((event) => (event as { code?: string }).code === 'ERR_CORRUPT_SESSION'), 'the corrupt row was reported');
      const silent = open();
      assert.equal(await silent.get(`${SID}-corrupt`), null);
      assert.ok(
        debugLines.some((line) => line.includes('ERR_CORRUPT_SESSION')),
        `the debug channel reported the corrupt row (captured: ${JSON.stringify(debugLines)})`,
      );
      assert.equal(Object.keys(await store.all()).includes(`${SID}-corrupt`), false);

      // A timeout.
      const slow = open({ operationTimeout: 150, createTable: false }, slowDb);
      assert.equal((await failing(() => slow.get(`${SID}-slow`))).code, 'ERR_TIMEOUT');
      assert.equal((await failing(() => slow.set(`${SID}-slow`, content()))).code, 'ERR_TIMEOUT');

      // Database errors: the table is gone.
      await dropTable(sequelize, table);
      for (const run of [
        () => store.set(`${SID}-gone`, content()),
        () => store.get(`${SID}-gone`),
        () => store.touch(`${SID}-gone`, content()),
        () => store.destroy(`${SID}-gone`),
        () => store.all(),
        () => store.length(),
        () => store.cleanExpired(),
      ]) {
        const error = await failing(run);
        assert.equal(error.code, 'ERR_DATABASE', `${error.code}: ${error.message}`);
      }
      // A background prune that fails: to the `error` event with a listener, else to the debug channel.
      const pruning = openStore(sequelize, { tableName: table, createTable: false, expiration: { interval: 20 } });
      stores.push(pruning);
      const pruneErrors: unknown[] = [];
      pruning.on('error', (error: unknown) => pruneErrors.push(error));
      const pruningSilently = openStore(sequelize, { tableName: table, createTable: false, expiration: { interval: 20 } });
      stores.push(pruningSilently);
      // A few timer runs; on a loaded machine or a cluster node the first may take longer than 150 ms.
      await sleep(150);
      for (let waited = 0; waited < 5_000 && (pruneErrors.length === 0 || !debugLines.some((line) => /prune/.test(line))); waited += 50) await sleep(50);
      await pruning.close();
      await pruningSilently.close();
      assert.ok(pruneErrors.length > 0, 'the failed prune was emitted');
      events.push(...pruneErrors);
      assert.ok(debugLines.some((line) => /prune/.test(line)), 'the failed prune went to the debug channel');

      // After close.
      await store.close();
      assert.equal((await failing(() => store.get(`${SID}-closed`))).code, 'ERR_STORE_CLOSED');
      assert.equal((await failing(() => store.set(`${SID}-closed`, content()))).code, 'ERR_STORE_CLOSED');
      await store.sync().catch((error: unknown) => errors.push(error));
    });

    it('captured something of every kind (the capture works)', () => {
      assert.ok(sqlLog.length > 10, `logging captured ${sqlLog.length} statements`);
      assert.ok(debugLines.length > 0, 'debug captured lines');
      assert.ok(errors.length > 15, `${errors.length} errors captured`);
      assert.ok(events.length > 0, 'error events captured');
    });

    it('no session id or content in any of it', () => {
      const markers = [SID, CONTENT, SID.slice('SIDMARK-'.length), CONTENT.slice('CONTENTMARK-'.length)];
      const sources: Array<[string, string]> = [
        ...sqlLog.map((text, i): [string, string] => [`logging #${i}`, text]),
        ...debugLines.map((text, i): [string, string] => [`debug #${i}`, text]),
        ...[...errors, ...events].flatMap((error, i): Array<[string, string]> => [
          [`error #${i} message`, String((error as Error)?.message)],
          [`error #${i} stack`, String((error as Error)?.stack)],
          [`error #${i} util.inspect`, inspect(error, { depth: Infinity, showHidden: true })],
          [`error #${i} JSON`, JSON.stringify(error) ?? ''],
        ]),
      ];
      const leaks = sources.filter(([, text]) => markers.some((marker) => text.includes(marker)));
      assert.deepEqual(
        leaks.map(([where, text]) => `${where}: ${text.slice(0, 300)}`),
        [],
      );
    });
  });
}

for (const target of targets()) {
  describe(`${target.tag} bound parameters (SPEC §2.4)`, () => {
    const table = uniqueTable('leak_bind');
    let sequelize: any;
    let log: string[];
    let store: SequelizeSessionStore;

    before(async () => {
      ({ sequelize, log } = connectLogged(target));
      store = openStore(sequelize, { tableName: table });
      await store.sync();
    });
    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    describe('bound parameters', () => {
      const userTable = uniqueTable('det_bind');
      let userStore: SequelizeSessionStore;
      before(async () => {
        const Model = defineUserModel(target, sequelize, userTable);
        await Model.sync();
        userStore = openStore(sequelize, { model: Model, extras: (data, sess) => { data.userId = (sess as any).userId ?? null; } });
      });
      after(async () => {
        await userStore?.close();
        await dropTable(sequelize, userTable);
      });

      it('neither the sid nor the session content appear in any SQL text Sequelize logs', async () => {
        const sid = `SIDMARK-${Math.random().toString(36).slice(2)}`;
        const other = `OTHERSID-${Math.random().toString(36).slice(2)}`;
        const content = `CONTENTMARK-${Math.random().toString(36).slice(2)}`;
        const statements = await statementsDuring(log, async () => {
          for (const s of [store, userStore]) {
            await s.set(sid, makeSession(HOUR, { secret: content, userId: 4242 }));
            await s.set(other, makeSession(HOUR, { secret: content, userId: 4242 }));
            assert.equal((await s.get(sid) as any).secret, content);
            await s.touch(sid, makeSession(2 * HOUR, { secret: content }));
            assert.ok(sid in (await s.all()));
            await s.length();
            await s.destroy(other);
            await s.cleanExpired();
          }
          assert.equal(await userStore.destroyWhere({ userId: 4242 }, { except: sid }), 0);
          await userStore.set(other, makeSession(HOUR, { secret: content, userId: 4242 }));
          assert.equal(await userStore.destroyWhere({ userId: 4242 }, { except: sid }), 0, 'the destroyed marker stays destroyed');
          await store.destroy(sid);
        });
        assert.ok(statements.length >= 17, `${statements.length} statements logged`);
        for (const sql of statements) {
          assert.ok(!sql.includes(sid) && !sql.includes(other), `a sid in the SQL text: ${sql}`);
          assert.ok(!sql.includes(content), `session content in the SQL text: ${sql}`);
          assert.ok(!sql.includes('4242'), `an extras value in the SQL text: ${sql}`);
        }
      });
    });
  });
}
