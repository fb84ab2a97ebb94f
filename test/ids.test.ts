// SPEC §2.4 "Ids", §3 "Bad input": which sids every method refuses (empty, over 255 characters,
// NUL-bearing, lone surrogates, not a string) and how, without echoing them; the sids it takes
// (255 characters of any script, SQL- and injection-shaped, binary-looking) stored verbatim and
// compared exactly ('abc', 'ABC' and 'abc ' are three sessions), touching no other session.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  connectLogged,
  dropTable,
  makeSession,
  openStore,
  rawCount,
  rawRow,
  rejectsWithCode,
  viaCallback,
  withoutCookie,
  type SequelizeSessionStore,
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

const INJECTION_SIDS = [
  "'; DROP TABLE sessions; --",
  '" OR 1=1 --',
  "' OR '1'='1",
  'back\\slash\\\\double',
  '\\\'escaped quote',
  '$1',
  '$2 $1 ?',
  '? OR 1=1',
  ':sid',
  '%_wild%',
  'semi;colon',
  '`backtick`',
  'tab\tnew\nline\rcr',
  'ünïcødé ✓ 🍪 会话',
  'Robert\'); DELETE FROM express_session;--',
  '/* comment */',
];

for (const target of targets()) {
  describe(`${target.tag} session ids (SPEC §2.4)`, () => {
    const table = uniqueTable('det');
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

    describe('refused and taken', () => {
      it('set refuses an empty sid, a sid over 255 characters and a non-string, writing nothing', async () => {
        const before = await rawCount(sequelize, table);
        await rejectsWithCode(store.set('', makeSession(HOUR)), 'ERR_INVALID_SID');
        await rejectsWithCode(store.set('x'.repeat(256), makeSession(HOUR)), 'ERR_INVALID_SID');
        for (const bad of [5, null, undefined, { id: 'x' }, ['a']]) {
          const error = await rejectsWithCode(store.set(bad as never, makeSession(HOUR)), 'ERR_INVALID_SID');
          assert.doesNotMatch(error.message, /"x"|\bid\b.*x/, 'the bad value is not echoed');
        }
        assert.equal(await rawCount(sequelize, table), before);
      });

      it('a sid of exactly 255 characters is stored and read back, ASCII or not', async () => {
        const ascii = 'a'.repeat(254) + 'Z';
        const accented = 'é'.repeat(255);
        const cjk = '会'.repeat(255);
        for (const sid of [ascii, accented, cjk]) {
          await store.set(sid, makeSession(HOUR, { len: sid.length }));
          assert.equal((await store.get(sid) as any)?.len, 255, `sid of ${sid[0]}×255`);
        }
        const all = await store.all();
        assert.ok(ascii in all && accented in all && cjk in all, 'all() is keyed by the exact sids');
      });

      it("'abc', 'ABC' and 'abc ' are three different sessions (exact comparison)", async () => {
        const sids = ['abc', 'ABC', 'abc ', ' abc', 'Abc'];
        for (const sid of sids) await store.set(sid, makeSession(HOUR, { who: sid }));
        for (const sid of sids) assert.equal((await store.get(sid) as any)?.who, sid, `get(${JSON.stringify(sid)})`);
        assert.equal(await store.get('abc  '), null, "'abc  ' was never stored");
        assert.equal(await store.get('aBC'), null);
        const all = await store.all();
        for (const sid of sids) assert.equal((all[sid] as any)?.who, sid);
        await store.destroy('abc');
        assert.equal(await store.get('abc'), null);
        assert.equal((await store.get('ABC') as any)?.who, 'ABC', 'destroying abc leaves ABC');
        assert.equal((await store.get('abc ') as any)?.who, 'abc ', "destroying abc leaves 'abc '");
        await store.touch('ABC', makeSession(5 * HOUR));
        const abcSpace = await rawRow(sequelize, table, 'abc ');
        assert.ok(abcSpace && abcSpace.expire < Date.now() + 2 * HOUR, "touching ABC does not move 'abc '");
      });
    });

    describe('injection-shaped sids', () => {
      it('are stored and read back verbatim, and harm nothing', async () => {
        await store.set('bystander', makeSession(HOUR, { b: 1 }));
        for (const sid of INJECTION_SIDS) await store.set(sid, makeSession(HOUR, { sid }));
        for (const sid of INJECTION_SIDS) assert.equal((await store.get(sid) as any)?.sid, sid, `get(${JSON.stringify(sid)})`);
        const all = await store.all();
        for (const sid of INJECTION_SIDS) assert.ok(sid in all, `all() has ${JSON.stringify(sid)}`);
        for (const sid of INJECTION_SIDS) await store.touch(sid, makeSession(2 * HOUR, { sid }));
        for (const sid of INJECTION_SIDS) await store.destroy(sid);
        for (const sid of INJECTION_SIDS) assert.equal(await store.get(sid), null);
        assert.equal((await store.get('bystander') as any)?.b, 1, 'other sessions untouched');
        assert.ok((await rawCount(sequelize, table)) > 0, 'the table is still there');
      });
    });
  });
}

for (const target of targets()) {
  describe(`${target.tag} hostile sids (SPEC §2.4 "Ids", §3 "Bad input")`, () => {
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


    it('non-string sids are refused by every method with ERR_INVALID_SID (promise and callback)', async () => {
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
      for (const bad of [42, null, undefined, {}, Buffer.from('abc')]) {
        await rejectsWithCode(store.get(bad as never), 'ERR_INVALID_SID');
        await rejectsWithCode(store.touch(bad as never, makeSession(HOUR)), 'ERR_INVALID_SID');
        await rejectsWithCode(store.destroy(bad as never), 'ERR_INVALID_SID');
      }
      const [error] = await viaCallback((cb) => store.get(7 as never, cb));
      assert.equal((error as { code?: string }).code, 'ERR_INVALID_SID');
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
  });
}
