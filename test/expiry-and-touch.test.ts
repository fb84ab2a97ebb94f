// SPEC §2.1 expiration and touch options, §2.4 "touch and cookie.expires", timestamps and time zones:
// when a session expires (its cookie, `expiration.life`, `expiration.absolute` however active it is),
// the prune timer (`expiration.interval`), what a touch writes (`disableTouch`, `touchAfter`: no
// statement inside the window), cookie.expires round-trips, and the same instants whatever the
// Sequelize or process time zone. An old creation time is made through a raw UPDATE.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable, type Target } from './support/targets.js';
import {
  DAY,
  HOUR,
  acceptsTimezone,
  connectLogged,
  countStatements,
  dropTable,
  makeSession,
  openStore,
  quoteIdentifier,
  quoteTable,
  rawCount,
  rawRow,
  sameDatabase,
  statementsDuring,
  toMs,
  withoutCookie,
  type SequelizeSessionStore,
} from './support/store-kit.js';
import { exactSidType, forDialect } from './support/per-dialect.js';
import { setTimeout as delay } from 'node:timers/promises';

/** Polls `check` every 20 ms until it holds or `limitMs` passes (a bound, not a timing assumption). */
async function eventually(check: () => Promise<boolean>, limitMs = 3000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await delay(20);
  }
}

/** The wall-clock text of an instant in a fixed UTC offset, `YYYY-MM-DD HH:MM:SS.mmm`. */
function wallClock(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().replace('T', ' ').replace('Z', '');
}

/** Sets the creation time of `sid`'s row to `ms`, in the form each dialect compares right. */
async function setCreated(target: Target, sequelize: any, table: string, sid: string, ms: number): Promise<void> {
  const q = (name: string) => quoteIdentifier(sequelize, name);
  const value = forDialect<unknown>(target, {
    'mariadb mysql': ms,
    sqlite: new Date(ms).toISOString().replace('T', ' ').replace('Z', ' +00:00'),
    default: new Date(ms).toISOString(),
  });
  const placeholder = forDialect(target, { 'mariadb mysql': 'FROM_UNIXTIME($1 / 1000)', default: '$1' });
  await sequelize.query(`UPDATE ${quoteTable(sequelize, table)} SET ${q('created')} = ${placeholder} WHERE ${q('sid')} = $2`, {
    bind: [value, sid],
    type: 'BULKUPDATE',
    raw: true,
    logging: false,
  });
}

for (const target of targets()) {
  describe(`${target.tag} expiration.absolute`, () => {
    const table = uniqueTable('hard_abs');
    let sequelize: any;
    let store: SequelizeSessionStore;

    before(async () => {
      sequelize = target.connect();
      store = openStore(sequelize, { tableName: table, expiration: { absolute: HOUR } });
      await store.sync();
    });

    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    it('a young session works (get, touch, all, length)', async () => {
      await store.set('abs-young', makeSession(HOUR, { age: 'young' }));
      await setCreated(target, sequelize, table, 'abs-young', Date.now() - HOUR / 2);
      assert.deepEqual(withoutCookie(await store.get('abs-young')), { age: 'young' });
      await store.touch('abs-young', makeSession(2 * HOUR, { age: 'young' }));
      assert.deepEqual(withoutCookie(await store.get('abs-young')), { age: 'young' });
      assert.ok('abs-young' in (await store.all()));
    });

    it('a session older than `absolute` is gone however active: get null, touch does not revive it, nor does a set', async () => {
      await store.set('abs-old', makeSession(HOUR, { age: 'old' }));
      assert.deepEqual(withoutCookie(await store.get('abs-old')), { age: 'old' });
      await setCreated(target, sequelize, table, 'abs-old', Date.now() - 2 * HOUR);
      // Its idle expiry is an hour away: only its total age makes it gone.
      assert.ok((await rawRow(sequelize, table, 'abs-old'))!.expire > Date.now() + HOUR / 2);
      assert.equal(await store.get('abs-old'), null);
      const expireBefore = (await rawRow(sequelize, table, 'abs-old'))!.expire;
      await store.touch('abs-old', makeSession(3 * HOUR, { age: 'old' }));
      assert.equal((await rawRow(sequelize, table, 'abs-old'))!.expire, expireBefore, 'touch moved the expiry of a session past its absolute age');
      assert.equal(await store.get('abs-old'), null);
      // Saving the session again (activity) keeps its creation time: still gone.
      await store.set('abs-old', makeSession(HOUR, { age: 'old', active: true }));
      assert.equal(await store.get('abs-old'), null);
      assert.equal('abs-old' in (await store.all()), false);
    });

    it('length() does not count a session past its absolute age', async () => {
      const before = await store.length();
      await store.set('abs-count', makeSession(HOUR));
      assert.equal(await store.length(), before + 1);
      await setCreated(target, sequelize, table, 'abs-count', Date.now() - 3 * HOUR);
      assert.equal(await store.length(), before);
    });
  });
}

// Found by the model suite (test/model): with expiration.absolute, destroyWhere counted (and
// marked) sessions past their absolute lifetime, which get, all and length already treat as gone.
for (const target of targets()) {
  describe(`${target.tag} destroyWhere with expiration.absolute`, () => {
    const sequelize: any = target.connect();
    const table = uniqueTable('abs_dw');
    after(async () => {
      await dropTable(sequelize, table);
      await sequelize.close();
    });

    it('does not count a session older than the absolute bound', async () => {
      const types = sequelize.constructor.DataTypes;
      const model = sequelize.define(`AbsDw_${table}`, {
        sid: { type: exactSidType(target, types), primaryKey: true },
        sess: { type: types.TEXT, allowNull: false },
        expire: { type: types.DATE(6), allowNull: false },
        userId: { type: types.INTEGER },
      }, { tableName: table, timestamps: true, updatedAt: false });
      const store = openStore(sequelize, {
        model,
        createTable: true,
        expiration: { absolute: HOUR },
        extras: (data, session) => {
          data.userId = (session as unknown as { userId: number }).userId;
        },
      });
      const realNow = Date.now;
      try {
        await store.set('old', makeSession(DAY, { userId: 7 }));
        // Two hours later: 'old' is past its absolute lifetime, 'young' is not.
        const later = realNow() + 2 * HOUR;
        Date.now = () => later;
        await store.set('young', makeSession(DAY, { userId: 7 }));
        assert.equal(await store.length(), 1);
        assert.equal(await store.destroyWhere({ userId: 7 }), 1, 'only the session still usable is signed out');
        assert.equal(await store.length(), 0);
      } finally {
        Date.now = realNow;
        await store.close();
      }
    });
  });
}

for (const target of targets()) {
  describe(`${target.tag} expiration and touch options`, () => {
    let sequelize: any;
    let log: string[];
    const tables: string[] = [];
    const stores: SequelizeSessionStore[] = [];
    /** A new table name this file drops at the end. */
    const table = (prefix: string) => {
      const name = uniqueTable(prefix);
      tables.push(name);
      return name;
    };
    const store = (options: Parameters<typeof openStore>[1]) => {
      const s = openStore(sequelize, options);
      stores.push(s);
      return s;
    };

    before(() => {
      ({ sequelize, log } = connectLogged(target));
    });
    after(async () => {
      for (const s of stores) await s.close();
      for (const name of tables.reverse()) await dropTable(sequelize, name);
      await sequelize?.close();
    });

    describe('expiration', () => {
      it('interval false or 0: no prune runs; a small interval prunes in the background', async () => {
        const off = table('opt_int_false');
        const zero = table('opt_int_zero');
        const on = table('opt_int_on');
        const sOff = store({ tableName: off, expiration: { interval: false } });
        const sZero = store({ tableName: zero, expiration: { interval: 0 } });
        // Sessions are written first by timer-less stores, then a store with a 40 ms timer watches `on`.
        const writer = store({ tableName: on });
        for (const [s, sid] of [[sOff, 'a'], [sZero, 'b'], [writer, 'c'], [writer, 'd']] as const) {
          await s.set(sid, makeSession(-60_000));
        }
        await writer.set('live', makeSession(HOUR));
        const pruning = store({ tableName: on, expiration: { interval: 40 } });
        assert.ok(await eventually(async () => (await rawCount(sequelize, on)) === 1), 'the timer pruned the expired rows');
        assert.ok(await rawRow(sequelize, on, 'live'), 'the live session stays');
        // Stop its timer: its statements would otherwise show up in other tests' counts.
        await pruning.close();
        await delay(150);
        assert.equal(await rawCount(sequelize, off), 1, 'interval false: nothing pruned');
        assert.equal(await rawCount(sequelize, zero), 1, 'interval 0: nothing pruned');
        assert.equal(await sOff.cleanExpired(), 1, 'cleanExpired() still prunes on demand');
      });

      it('life: a cookie without expires gets now + life (and so does its touch)', async () => {
        const name = table('opt_life');
        const life = 10 * 60_000;
        const s = store({ tableName: name, expiration: { life } });
        const before = Date.now();
        await s.set('browser', makeSession(null, { b: 1 }));
        const row = await rawRow(sequelize, name, 'browser');
        assert.ok(row);
        assert.ok(row.expire >= before + life - 1000 && row.expire <= Date.now() + life + 1000, `expire ${new Date(row.expire).toISOString()}`);
        const got = await s.get('browser');
        assert.equal(got!.cookie.expires, null, 'the cookie stays a browser-session cookie');
        // Default life is one day.
        const dflt = store({ tableName: name });
        await dflt.set('browser-default', makeSession(null));
        const drow = await rawRow(sequelize, name, 'browser-default');
        assert.ok(Math.abs(drow!.expire - (Date.now() + DAY)) < 60_000, 'the default life is 1 day');
      });

      it('life: a session not accessed for longer than life is gone (life 1 ms)', async () => {
        const name = table('opt_life_short');
        const s = store({ tableName: name, expiration: { life: 1 } });
        await s.set('brief', makeSession(null));
        await delay(10);
        assert.equal(await s.get('brief'), null);
        assert.equal(await s.length(), 0);
        assert.equal(await s.cleanExpired(), 1);
      });
    });

    describe('touch options', () => {
      it('disableTouch: touch writes nothing', async () => {
        const name = table('opt_notouch');
        const s = store({ tableName: name, disableTouch: true });
        await s.set('nt', makeSession(HOUR));
        const before = (await rawRow(sequelize, name, 'nt'))!.expire;
        assert.equal(await countStatements(log, () => s.touch('nt', makeSession(5 * HOUR))), 0);
        assert.equal((await rawRow(sequelize, name, 'nt'))!.expire, before);
      });

      it('touchAfter: no statement when the known expiry moves by less than the window', async () => {
        const name = table('opt_ta');
        const s = store({ tableName: name, touchAfter: HOUR });
        await s.set('ta', makeSession(DAY));
        const stored = (await rawRow(sequelize, name, 'ta'))!.expire;
        assert.equal(await countStatements(log, () => s.touch('ta', makeSession(DAY + 60_000))), 0);
        assert.equal((await rawRow(sequelize, name, 'ta'))!.expire, stored);
        // Beyond the window: one statement that moves it.
        assert.equal(await countStatements(log, () => s.touch('ta', makeSession(DAY + 2 * HOUR))), 1);
        const moved = (await rawRow(sequelize, name, 'ta'))!.expire;
        assert.ok(Math.abs(moved - (Date.now() + DAY + 2 * HOUR)) < 60_000);
        // Known through a read, too.
        const reader = store({ tableName: name, touchAfter: HOUR });
        await reader.get('ta');
        assert.equal(await countStatements(log, () => reader.touch('ta', makeSession(DAY + 2 * HOUR + 60_000))), 0);
      });

      it('touchAfter: with the expiry unknown, at most one statement and it changes no row inside the window', async () => {
        const name = table('opt_ta2');
        const writer = store({ tableName: name, touchAfter: HOUR });
        await writer.set('ta2', makeSession(DAY));
        const stored = (await rawRow(sequelize, name, 'ta2'))!.expire;
        const stranger = store({ tableName: name, touchAfter: HOUR });
        await stranger.sync();
        const n = await countStatements(log, () => stranger.touch('ta2', makeSession(DAY + 60_000)));
        assert.ok(n <= 1, `${n} statements`);
        assert.equal((await rawRow(sequelize, name, 'ta2'))!.expire, stored, 'no row changed');
        const other = store({ tableName: name, touchAfter: HOUR });
        await other.sync();
        await other.touch('ta2', makeSession(DAY + 3 * HOUR));
        assert.ok(Math.abs((await rawRow(sequelize, name, 'ta2'))!.expire - (Date.now() + DAY + 3 * HOUR)) < 60_000, 'outside the window it moves');
      });

      it('touch inside touchAfter where the expiry is known: 0 statements', async () => {
        const s = store({ tableName: table('ta_count'), touchAfter: HOUR });
        {
          await s.set('count-ta', makeSession(DAY));
          assert.equal((await statementsDuring(log, () => s.touch('count-ta', makeSession(DAY + 1000)))).length, 0);
          await s.get('count-ta');
          assert.equal((await statementsDuring(log, () => s.touch('count-ta', makeSession(DAY + 30 * 60_000)))).length, 0);
          assert.equal((await statementsDuring(log, () => s.touch('count-ta', makeSession(DAY + 2 * HOUR)))).length, 1);
        }
      });
    });
  });
}

for (const target of targets()) {
  describe(`${target.tag} touch and cookie.expires (SPEC §2.4)`, () => {
    const table = uniqueTable('exp_tce');
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
  });

  // An offset and a named zone (without summer time, so the wall clock's offset is fixed): on
  // MySQL/MariaDB they bind times differently (text at the offset; FROM_UNIXTIME in the session zone).
  for (const [zone, minutes] of acceptsTimezone(target) ? ([['+05:00', 300], ['Asia/Kolkata', 330]] as const) : []) {
    describe(`${target.tag} Sequelize timezone '${zone}' (SPEC §2.4 timestamps)`, () => {
      const table = uniqueTable('det_tz');
      const open = sameDatabase(target);
      let zoned: any;
      let utc: any;
      let store: SequelizeSessionStore;

      before(async () => {
        zoned = open({ timezone: zone }).sequelize;
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
        await forDialect<() => Promise<void>>(target, {
          postgres: async () => {
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
          },
          default: async () => {
            // DATETIME has no zone: it must hold the wall clock in the instance's timezone, as Sequelize's own rows do.
            const rows = await utc.query(`SELECT DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f') AS w FROM ${quoteTable(utc, table)} WHERE ${sid} = $1`, {
              bind: ['tz-instant'],
              type: 'SELECT',
              raw: true,
            });
            // (to the millisecond, give or take the one the mysql dialect loses: see 'round-trips to the millisecond')
            const wall = String(rows[0].w).slice(0, 23);
            const asInstant = Date.parse(`${wall.replace(' ', 'T')}Z`) - minutes * 60_000;
            assert.ok(Math.abs(asInstant - expected) <= 1, `${wall} is not ${wallClock(expected, minutes)} (${zone})`);
            // And the instance's own model reads the right instant.
            const model = store.model as any;
            const row = await model.findOne({ where: { sid: 'tz-instant' }, raw: true });
            assert.ok(Math.abs(toMs(row.expire) - expected) <= 1, `model read ${row.expire}`);
          },
        })();
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
