// SPEC §2.4, "details that are easy to get wrong": ids, exact comparison, touch and cookie.expires,
// bound parameters, timestamps and time zones, corrupt rows, close(), bad input (SPEC §3).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  acceptsTimezone,
  connectLogged,
  defineUserModel,
  dropTable,
  makeSession,
  openStore,
  quoteIdentifier,
  quoteTable,
  rawCount,
  rawRow,
  rawSetSess,
  rejectsWithCode,
  sameDatabase,
  statementsDuring,
  toMs,
  viaCallback,
  withoutCookie,
  type SequelizeSessionStore,
} from './support/store-kit.js';

/** The wall-clock text of an instant in a fixed UTC offset, `YYYY-MM-DD HH:MM:SS.mmm`. */
function wallClock(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().replace('T', ' ').replace('Z', '');
}

for (const target of targets()) {
  describe(`${target.tag} details (SPEC §2.4)`, () => {
    const table = uniqueTable('det');
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

    describe('session ids', () => {
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

      it('get, touch and destroy refuse a non-string sid', async () => {
        for (const bad of [42, null, undefined, {}, Buffer.from('abc')]) {
          await rejectsWithCode(store.get(bad as never), 'ERR_INVALID_SID');
          await rejectsWithCode(store.touch(bad as never, makeSession(HOUR)), 'ERR_INVALID_SID');
          await rejectsWithCode(store.destroy(bad as never), 'ERR_INVALID_SID');
        }
        const [error] = await viaCallback((cb) => store.get(7 as never, cb));
        assert.equal((error as { code?: string }).code, 'ERR_INVALID_SID');
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

    describe('touch and cookie.expires', () => {
      it('after touch, get returns cookie.expires moved to the new expiry', async () => {
        const sess = makeSession(HOUR, { n: 1 });
        await store.set('tce', sess);
        const later = makeSession(6 * HOUR, { n: 1 });
        await store.touch('tce', later);
        const got = await store.get('tce');
        assert.ok(got);
        assert.ok(Math.abs(new Date(String(got.cookie.expires)).getTime() - new Date(String(later.cookie.expires)).getTime()) <= 1);
        assert.equal((got as any).n, 1);
      });

      it('a browser-session cookie (expires null) stays null after touch', async () => {
        await store.set('tce-browser', makeSession(null, { b: true }));
        await store.touch('tce-browser', makeSession(null, { b: true }));
        const got = await store.get('tce-browser');
        assert.equal(got!.cookie.expires, null);
        assert.equal((got as any).b, true);
      });

      it('touch never resurrects a destroyed or an expired session', async () => {
        await store.set('tce-dead', makeSession(HOUR));
        await store.destroy('tce-dead');
        await store.touch('tce-dead', makeSession(HOUR));
        assert.equal(await store.get('tce-dead'), null);
        await store.set('tce-expired', makeSession(-1000));
        await store.touch('tce-expired', makeSession(HOUR));
        assert.equal(await store.get('tce-expired'), null);
      });

      it('cookie.expires round-trips to the millisecond', async () => {
        const failures: string[] = [];
        for (let i = 0; i < 20; i++) {
          const sess = makeSession(HOUR + i * 7_919 + i);
          await store.set(`ms-${i}`, sess);
          const got = await store.get(`ms-${i}`);
          if (String(got!.cookie.expires) !== String(sess.cookie.expires)) failures.push(`${sess.cookie.expires} → ${got!.cookie.expires}`);
        }
        assert.deepEqual(failures, []);
      });

      it('a session expiring after 2038 (a long "remember me") is stored and returned', async () => {
        const expires = new Date('2040-06-01T12:00:00.000Z');
        const sess = { cookie: { originalMaxAge: expires.getTime() - Date.now(), expires: expires.toISOString(), httpOnly: true, path: '/' }, r: 1 };
        await store.set('far-future', sess as never);
        const got = await store.get('far-future');
        assert.equal((got as any)?.r, 1);
        assert.equal(new Date(String(got!.cookie.expires)).toISOString(), expires.toISOString());
      });
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

    describe('bad input (SPEC §3)', () => {
      it('a session that cannot be serialized (a cycle, a BigInt) is refused and writes nothing', async () => {
        const cyclic: any = makeSession(HOUR, { name: 'cyclic' });
        cyclic.self = cyclic;
        const error = await rejectsWithCode(store.set('bad-cycle', cyclic), 'ERR_SESSION_NOT_SERIALIZABLE');
        assert.doesNotMatch(error.message, /cyclic|bad-cycle/);
        await rejectsWithCode(store.set('bad-bigint', makeSession(HOUR, { n: 10n ** 20n })), 'ERR_SESSION_NOT_SERIALIZABLE');
        assert.equal(await rawRow(sequelize, table, 'bad-cycle'), undefined);
        assert.equal(await rawRow(sequelize, table, 'bad-bigint'), undefined);
        await rejectsWithCode(store.set('bad-null', null as never), 'ERR_INVALID_SESSION');
      });
    });

    describe('corrupt rows', () => {
      it('a row that cannot be decoded is a miss, reported through the error event without id or content', async () => {
        const sid = `corrupt-${Math.random().toString(36).slice(2)}`;
        await store.set(sid, makeSession(HOUR, { v: 1 }));
        await rawSetSess(sequelize, table, sid, '{"this is":GARBAGE-CONTENT');
        const events: Array<Error & { code?: string }> = [];
        const listener = (error: Error & { code?: string }) => events.push(error);
        store.on('error', listener);
        try {
          assert.equal(await store.get(sid), null);
          assert.equal(events.length, 1);
          assert.equal(events[0]!.code, 'ERR_CORRUPT_SESSION');
          assert.ok(!events[0]!.message.includes(sid), 'no session id in the error');
          assert.ok(!events[0]!.message.includes('GARBAGE'), 'no content in the error');
          const all = await store.all();
          assert.ok(!(sid in all), 'all() skips it');
          assert.equal(events.length, 2, 'and reports it');
        } finally {
          store.off('error', listener);
        }
        // Without a listener: still a miss, nothing thrown (an EventEmitter would throw on an unheard 'error').
        assert.equal(await store.get(sid), null);
        // A valid JSON value that is not a session object is corrupt too.
        await store.set(`${sid}-arr`, makeSession(HOUR));
        await rawSetSess(sequelize, table, `${sid}-arr`, '[1,2,3]');
        assert.equal(await store.get(`${sid}-arr`), null);
      });
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

  if (acceptsTimezone(target)) {
    describe(`${target.tag} Sequelize timezone '+05:00' (SPEC §2.4 timestamps)`, () => {
      const table = uniqueTable('det_tz');
      const open = sameDatabase(target);
      let zoned: any;
      let utc: any;
      let store: SequelizeSessionStore;

      before(async () => {
        zoned = open({ timezone: '+05:00' }).sequelize;
        utc = open().sequelize;
        store = openStore(zoned, { tableName: table });
        await store.sync();
      });
      after(async () => {
        await store?.close();
        await dropTable(utc, table);
        await zoned?.close();
        await utc?.close();
      });

      it('a session expiring in 1 hour is returned; one expired 1 second ago is not', async () => {
        await store.set('tz-live', makeSession(HOUR, { v: 'live' }));
        await store.set('tz-dead', makeSession(-1000, { v: 'dead' }));
        assert.equal((await store.get('tz-live') as any)?.v, 'live');
        assert.equal(await store.get('tz-dead'), null);
        const all = await store.all();
        assert.ok('tz-live' in all && !('tz-dead' in all));
        await store.set('tz-dead-2', makeSession(-1000));
        assert.equal(await store.length(), 1);
        assert.equal(await store.cleanExpired(), 2, 'exactly the two expired rows are pruned');
        assert.ok(await store.get('tz-live'));
      });

      it('the stored expiry is the right instant, read through a second instance', async () => {
        const sess = makeSession(HOUR);
        const expected = new Date(String(sess.cookie.expires)).getTime();
        await store.set('tz-instant', sess);
        const got = await store.get('tz-instant');
        assert.ok(Math.abs(new Date(String(got!.cookie.expires)).getTime() - expected) <= 1, 'get reports the same instant');
        const col = quoteIdentifier(utc, 'expire');
        const sid = quoteIdentifier(utc, 'sid');
        if (target.dialect === 'postgres') {
          // TIMESTAMPTZ: any instance, whatever its timezone, reads the same instant.
          const row = await rawRow(utc, table, 'tz-instant');
          assert.ok(Math.abs(row!.expire - expected) <= 1, `${new Date(row!.expire).toISOString()} vs ${new Date(expected).toISOString()}`);
          const utcStore = openStore(utc, { tableName: table });
          try {
            const seen = await utcStore.get('tz-instant');
            assert.ok(Math.abs(new Date(String(seen!.cookie.expires)).getTime() - expected) <= 1);
          } finally {
            await utcStore.close();
          }
        } else {
          // DATETIME has no zone: it must hold the wall clock in the instance's timezone, as Sequelize's own rows do.
          const rows = await utc.query(`SELECT DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f') AS w FROM ${quoteTable(utc, table)} WHERE ${sid} = $1`, {
            bind: ['tz-instant'],
            type: 'SELECT',
            raw: true,
          });
          // (to the millisecond, give or take the one the mysql dialect loses: see 'round-trips to the millisecond')
          const wall = String(rows[0].w).slice(0, 23);
          const asInstant = Date.parse(`${wall.replace(' ', 'T')}Z`) - 300 * 60_000;
          assert.ok(Math.abs(asInstant - expected) <= 1, `${wall} is not ${wallClock(expected, 300)} (+05:00)`);
          // And the instance's own model reads the right instant.
          const model = store.model as any;
          const row = await model.findOne({ where: { sid: 'tz-instant' }, raw: true });
          assert.ok(Math.abs(toMs(row.expire) - expected) <= 1, `model read ${row.expire}`);
        }
      });

      it('touch moves the expiry to the right instant', async () => {
        await store.set('tz-touch', makeSession(HOUR, { t: 1 }));
        const later = makeSession(3 * HOUR);
        const expected = new Date(String(later.cookie.expires)).getTime();
        await store.touch('tz-touch', later);
        const got = await store.get('tz-touch');
        assert.ok(Math.abs(new Date(String(got!.cookie.expires)).getTime() - expected) <= 1);
        const row = await (store.model as any).findOne({ where: { sid: 'tz-touch' }, raw: true });
        assert.ok(Math.abs(toMs(row.expire) - expected) <= 1);
        // Touching to a time already past: the session is gone at once (not 5 hours later).
        await store.touch('tz-touch', makeSession(-1000));
        assert.equal(await store.get('tz-touch'), null);
      });

      it('a session with a browser-session cookie gets now + life in the right zone', async () => {
        const before = Date.now();
        await store.set('tz-life', makeSession(null));
        const row = await (store.model as any).findOne({ where: { sid: 'tz-life' }, raw: true });
        const expire = toMs(row.expire);
        assert.ok(expire >= before + 24 * HOUR - 1000 && expire <= Date.now() + 24 * HOUR + 1000, new Date(expire).toISOString());
      });
    });
  }

  describe(`${target.tag} process TZ far from UTC`, () => {
    const table = uniqueTable('det_ptz');
    let sequelize: any;
    let store: SequelizeSessionStore;
    const savedTz = process.env.TZ;

    before(async () => {
      // Each test file runs in its own process: this changes only this file's clock zone.
      process.env.TZ = 'Pacific/Chatham';
      sequelize = connectLogged(target).sequelize;
      store = openStore(sequelize, { tableName: table });
      await store.sync();
    });
    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    });

    it('expiry, get, touch and prune are the same instants', async () => {
      assert.notEqual(new Date(0).getTimezoneOffset(), 0, 'the process runs in a non-UTC zone');
      const sess = makeSession(HOUR, { z: 1 });
      const expected = new Date(String(sess.cookie.expires)).getTime();
      await store.set('ptz', sess);
      await store.set('ptz-dead', makeSession(-1000));
      assert.equal(await store.get('ptz-dead'), null);
      const got = await store.get('ptz');
      assert.deepEqual(withoutCookie(got), { z: 1 });
      assert.ok(Math.abs(new Date(String(got!.cookie.expires)).getTime() - expected) <= 1);
      const row = await rawRow(sequelize, table, 'ptz');
      assert.ok(Math.abs(row!.expire - expected) <= 1, `${new Date(row!.expire).toISOString()}`);
      await store.touch('ptz', makeSession(2 * HOUR));
      assert.ok(Math.abs((await rawRow(sequelize, table, 'ptz'))!.expire - (Date.now() + 2 * HOUR)) < 60_000);
      assert.equal(await store.cleanExpired(), 1);
      assert.equal(await store.length(), 1);
    });
  });
}
