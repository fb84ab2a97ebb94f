// Issue 6, hostile input (SPEC §2.4 "Ids", §3 "Bad input"): sids that are empty, huge, binary,
// lone-surrogate, NUL-bearing or SQL-shaped; sessions that are cyclic, hold a BigInt or are too
// large; table names with quotes. Each gets a clear error (or works), the process keeps running,
// and no other session is touched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable, type Target } from './support/targets.js';
import {
  HOUR,
  SequelizeSessionStore,
  dropTable,
  makeSession,
  openStore,
  rawCount,
  rawRow,
  withoutCookie,
} from './support/store-kit.js';
import { InvalidInputError } from '../src/errors.js';

const SQL_SHAPED = [
  "'; DROP TABLE express_session; --",
  '" OR 1=1 --',
  "x' OR '1'='1",
  '`; DELETE FROM x; #',
  '$1',
  '$2 $1 ?',
  '\\',
  "\\'; --",
  '%_%',
  'sid = sid',
  'NULL',
];

/** The exact quoting of a table name, done here rather than trusting Sequelize's (v6 strips quotes). */
function exactQuote(target: Target, name: string): string {
  return target.dialect === 'mysql' || target.dialect === 'mariadb' ? `\`${name.replaceAll('`', '``')}\`` : `"${name.replaceAll('"', '""')}"`;
}

async function tableExists(target: Target, sequelize: any, name: string): Promise<boolean> {
  try {
    await sequelize.query(`SELECT COUNT(*) AS n FROM ${exactQuote(target, name)}`, { type: 'SELECT', raw: true, logging: false });
    return true;
  } catch {
    return false;
  }
}

for (const target of targets()) {
  describe(`${target.tag} hardening: hostile input`, () => {
    const table = uniqueTable('hard_hostile');
    let sequelize: any;
    let store: SequelizeSessionStore;
    const NEIGHBOUR = 'neighbour-sid';
    let neighbourRaw: { sess: unknown; expire: number } | undefined;

    before(async () => {
      sequelize = target.connect();
      store = openStore(sequelize, { tableName: table, maxSessionBytes: 4096 });
      await store.set(NEIGHBOUR, makeSession(HOUR, { name: 'neighbour', n: 1 }));
      neighbourRaw = await rawRow(sequelize, table, NEIGHBOUR);
    });

    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    /** The neighbour session is intact, byte for byte, and readable. */
    async function neighbourIntact(): Promise<void> {
      assert.deepEqual(await rawRow(sequelize, table, NEIGHBOUR), neighbourRaw);
      assert.deepEqual(withoutCookie(await store.get(NEIGHBOUR)), { name: 'neighbour', n: 1 });
    }

    const invalidSids: Array<[string, string]> = [
      ['empty', ''],
      ['huge (10 KB)', 'x'.repeat(10_240)],
      ['256 characters', 'y'.repeat(256)],
      ['NUL-bearing', 'abc\u0000def'],
      ['only NUL', '\u0000'],
      ['a lone high surrogate', 'abc\ud800'],
      ['a lone low surrogate', '\udfffabc'],
      ['NUL-bearing neighbour prefix', `${NEIGHBOUR}\u0000`],
    ];
    for (const [name, sid] of invalidSids) {
      it(`sid ${name}: set is refused with ERR_INVALID_SID; get/touch/destroy do not throw; nothing else touched`, async () => {
        const count = await rawCount(sequelize, table);
        const error = await store.set(sid, makeSession(HOUR, { evil: true })).then(
          () => assert.fail('accepted'),
          (e: unknown) => e as InvalidInputError,
        );
        assert.ok(error instanceof InvalidInputError, String(error));
        assert.equal(error.code, 'ERR_INVALID_SID');
        assert.ok(error.message.length < 300, 'the message stays short');
        assert.equal(await store.get(sid), null);
        await store.touch(sid, makeSession(HOUR));
        await store.destroy(sid);
        assert.equal(await rawCount(sequelize, table), count);
        await neighbourIntact();
      });
    }

    it('non-string sids are refused by every method with ERR_INVALID_SID', async () => {
      for (const sid of [undefined, null, 42, {}, ['a'], Buffer.from('abc'), Symbol('s')]) {
        for (const run of [
          () => store.get(sid as never),
          () => store.set(sid as never, makeSession(HOUR)),
          () => store.touch(sid as never, makeSession(HOUR)),
          () => store.destroy(sid as never),
        ]) {
          await assert.rejects(run(), { code: 'ERR_INVALID_SID' });
        }
      }
      await neighbourIntact();
    });

    it('binary-looking and SQL-shaped sids are stored exactly and touch nothing else', async () => {
      const sids = [
        ...SQL_SHAPED,
        '\u0001\u0002\u0003\u007f',
        '\uffff\ufffe',
        '😀\u{10ffff}',
        'tab\there\nnewline\r',
        ' leading and trailing ',
        'UPPER',
        'upper',
        'z'.repeat(255),
      ];
      for (const [i, sid] of sids.entries()) await store.set(sid, makeSession(HOUR, { i, sid }));
      for (const [i, sid] of sids.entries()) assert.deepEqual(withoutCookie(await store.get(sid)), { i, sid }, JSON.stringify(sid));
      // Exact comparison: 'upper' and 'UPPER', ' leading…' and 'leading…' are different sessions.
      assert.equal(await store.get('leading and trailing'), null);
      assert.equal(await store.get(' leading and trailing'), null);
      const all = await store.all();
      for (const sid of sids) assert.ok(sid in all, JSON.stringify(sid));
      for (const sid of sids) await store.destroy(sid);
      for (const sid of sids) assert.equal(await store.get(sid), null);
      const [alive] = (await sequelize.query('SELECT 1 AS one', { type: 'SELECT', raw: true })) as Array<{ one: unknown }>;
      assert.equal(Number(alive?.one), 1, 'the connection still answers');
      await neighbourIntact();
    });

    const badSessions: Array<[string, () => unknown, string]> = [
      [
        'cyclic',
        () => {
          const session: Record<string, unknown> = { ...makeSession(HOUR), a: { b: {} } };
          ((session.a as Record<string, unknown>).b as Record<string, unknown>).back = session;
          return session;
        },
        'ERR_SESSION_NOT_SERIALIZABLE',
      ],
      ['holding a BigInt', () => ({ ...makeSession(HOUR), big: BigInt('12345678901234567890') }), 'ERR_SESSION_NOT_SERIALIZABLE'],
      ['larger than maxSessionBytes', () => makeSession(HOUR, { blob: 'é'.repeat(3000) }), 'ERR_SESSION_TOO_LARGE'],
      ['a toJSON that throws', () => ({ ...makeSession(HOUR), x: { toJSON: () => { throw new Error('boom'); } } }), 'ERR_SESSION_NOT_SERIALIZABLE'],
    ];
    for (const [name, make, code] of badSessions) {
      it(`a session ${name}: set rejects with ${code}, writes nothing, even over an existing session`, async () => {
        const count = await rawCount(sequelize, table);
        await assert.rejects(store.set('bad-session', make() as never), (error: InvalidInputError) => {
          assert.ok(error instanceof InvalidInputError);
          assert.equal(error.code, code);
          return true;
        });
        assert.equal(await rawCount(sequelize, table), count);
        // Over the neighbour: refused, and the neighbour keeps its data.
        await assert.rejects(store.set(NEIGHBOUR, make() as never), { code });
        await neighbourIntact();
      });
    }

    it('non-object sessions are refused with ERR_INVALID_SESSION', async () => {
      for (const session of [null, undefined, 'a string', 42]) {
        await assert.rejects(store.set('non-object', session as never), { code: 'ERR_INVALID_SESSION' });
      }
      await neighbourIntact();
    });

    // The store refuses quoted identifiers at construction (Sequelize v6 would silently strip the
    // quotes and use another table): asserted here, together with "nothing created under either name".
    for (const quote of ['"', '`']) {
      it(`tableName with ${quote}: refused at construction with a clear ERR_INVALID_OPTION; no table created`, async () => {
        const name = uniqueTable(`we${quote}ird`);
        const stripped = name.replaceAll(quote, '');
        assert.throws(
          () => new SequelizeSessionStore({ sequelize, tableName: name, expiration: { interval: false } }),
          (error: Error & { code?: string }) => {
            assert.equal(error.code, 'ERR_INVALID_OPTION', `${error.code}: ${error.message}`);
            assert.match(error.message, /tableName/);
            return true;
          },
        );
        for (const column of ['sid', 'sess', 'expire']) {
          assert.throws(
            () => new SequelizeSessionStore({ sequelize, tableName: table, columns: { [column]: `co${quote}l` }, expiration: { interval: false } }),
            { code: 'ERR_INVALID_OPTION' },
          );
        }
        assert.equal(await tableExists(target, sequelize, name), false);
        assert.equal(await tableExists(target, sequelize, stripped), false);
      });
    }

    it('the process kept running and the neighbour is intact', async () => {
      await neighbourIntact();
    });
  });
}
