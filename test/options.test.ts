// SPEC §2.1: every option (except hashSids, encryption, operationTimeout, expiration.absolute, which
// come with the hardening issue), and the constructor's refusal of every invalid one.
import assert from 'node:assert/strict';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { targets, uniqueTable, type Target } from './support/targets.js';
import {
  DAY,
  HOUR,
  SequelizeSessionStore,
  connectLogged,
  countStatements,
  dataTypes,
  defineUserModel,
  dropTable,
  makeSession,
  openStore,
  quoteIdentifier,
  rawCount,
  rawRow,
  rejectsWithCode,
  throwsWithCode,
  toMs,
  withoutCookie,
} from './support/store-kit.js';

/** Polls `check` every 20 ms until it holds or `limitMs` passes (a bound, not a timing assumption). */
async function eventually(check: () => Promise<boolean>, limitMs = 3000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await delay(20);
  }
}

async function tableExists(sequelize: any, table: string): Promise<boolean> {
  const qi = sequelize.queryInterface ?? sequelize.getQueryInterface();
  return qi.tableExists(table);
}

for (const target of targets()) {
  describe(`${target.tag} options`, () => {
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

    describe('sequelize / db', () => {
      it('`db` is an alias of `sequelize`', async () => {
        const s = new SequelizeSessionStore({ db: sequelize, tableName: table('opt_db'), expiration: { interval: false } });
        stores.push(s);
        await s.set('via-db', makeSession(HOUR, { ok: true }));
        assert.deepEqual(withoutCookie(await s.get('via-db')), { ok: true });
      });

      it('both given and the same instance is fine; two different instances are refused', () => {
        const s = new SequelizeSessionStore({ sequelize, db: sequelize, tableName: table('opt_both'), expiration: { interval: false } });
        stores.push(s);
        const other = target.connect();
        try {
          const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, db: other }), 'ERR_INVALID_OPTION');
          assert.match(error.message, /sequelize/);
          assert.match(error.message, /db/);
        } finally {
          void (other as any).close();
        }
      });

      it('missing, or not a Sequelize instance: the constructor says so', () => {
        // @ts-expect-error -- the options type requires `sequelize`; JavaScript callers get the runtime check tested here
        const missing = throwsWithCode(() => new SequelizeSessionStore({}), 'ERR_INVALID_SEQUELIZE');
        assert.match(missing.message, /sequelize/i);
        assert.match(missing.message, /required/i);
        const wrong = throwsWithCode(() => new SequelizeSessionStore({ sequelize: { query() {} } as never }), 'ERR_INVALID_SEQUELIZE');
        assert.match(wrong.message, /Sequelize instance/);
        throwsWithCode(() => new SequelizeSessionStore({ db: 'postgres://x' as never }), 'ERR_INVALID_SEQUELIZE');
      });
    });

    describe('model', () => {
      it('a user model with extra columns and a relation works', async () => {
        const types = dataTypes(sequelize);
        const accounts = table('opt_account');
        const sessions = table('opt_relsess');
        const Account = sequelize.define(`Account_${accounts}`, { name: types.STRING(40) }, { tableName: accounts, timestamps: false });
        const Session = defineUserModel(target, sequelize, sessions);
        Session.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
        await Account.sync();
        await Session.sync();
        const account = await Account.create({ name: 'Grace' });
        const s = store({
          model: Session,
          extras: (data, sess) => {
            data.accountId = (sess as any).accountId ?? null;
            data.device = 'laptop';
          },
        });
        await s.set('rel-1', makeSession(HOUR, { accountId: account.id, v: 1 }));
        assert.deepEqual(withoutCookie(await s.get('rel-1')), { accountId: account.id, v: 1 });
        const row = await Session.findOne({ where: { sid: 'rel-1' }, include: [{ model: Account, as: 'account' }] });
        assert.equal(row.account.name, 'Grace');
        assert.equal(row.device, 'laptop');
      });

      for (const missing of ['sid', 'sess', 'expire'] as const) {
        it(`a model without \`${missing}\` is refused with ERR_INVALID_MODEL naming it`, () => {
          const types = dataTypes(sequelize);
          const attributes: Record<string, unknown> = {
            sid: { type: types.STRING(255), primaryKey: true },
            sess: { type: types.TEXT },
            expire: { type: types.DATE },
          };
          delete attributes[missing];
          const Bad = sequelize.define(`Bad_${missing}_${uniqueTable('m')}`, attributes, { tableName: `never_${missing}`, timestamps: false });
          const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, model: Bad }), 'ERR_INVALID_MODEL');
          assert.match(error.message, new RegExp(`\`${missing}\``));
        });
      }

      it('a model whose expire is not a DATE is refused naming it', () => {
        const types = dataTypes(sequelize);
        const Bad = sequelize.define(`BadType_${uniqueTable('m')}`, {
          sid: { type: types.STRING(255), primaryKey: true },
          sess: { type: types.TEXT },
          expire: { type: types.INTEGER },
        }, { tableName: 'never_badtype', timestamps: false });
        const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, model: Bad }), 'ERR_INVALID_MODEL');
        assert.match(error.message, /expire/);
      });

      it('something that is not a model is refused', () => {
        throwsWithCode(() => new SequelizeSessionStore({ sequelize, model: {} as never }), 'ERR_INVALID_MODEL');
      });
    });

    it('tableName: the created model lives in that table', async () => {
      const name = table('opt_tn');
      const s = store({ tableName: name });
      await s.set('in-table', makeSession(HOUR, { t: 1 }));
      assert.equal(await rawCount(sequelize, name), 1);
      assert.ok(await rawRow(sequelize, name, 'in-table'));
    });

    describe('columns', () => {
      it("adopts connect-session-sequelize's Sessions(sid, data, expires) table with createdAt/updatedAt", async () => {
        const types = dataTypes(sequelize);
        const name = table('Sessions');
        // connect-session-sequelize's own model definition.
        const Session = sequelize.define(`Sessions_${name}`, {
          sid: { type: types.STRING(36), primaryKey: true },
          expires: types.DATE,
          data: types.TEXT,
        }, { tableName: name });
        await Session.sync();
        const s = store({ model: Session, columns: { sess: 'data', expire: 'expires' } });
        const before = Date.now();
        await s.set('css-1', makeSession(HOUR, { user: 'x' }));
        const after1 = Date.now();
        const row1 = await Session.findOne({ where: { sid: 'css-1' } });
        assert.ok(row1, 'the row is in the Sessions table');
        assert.equal(JSON.parse(row1.data).user, 'x');
        assert.ok(Math.abs(toMs(row1.expires) - (before + HOUR)) < 60_000);
        const createdAt = toMs(row1.createdAt);
        const updatedAt1 = toMs(row1.updatedAt);
        assert.ok(createdAt >= before - 1000 && createdAt <= after1 + 1000, `createdAt filled (${row1.createdAt})`);
        assert.ok(updatedAt1 >= before - 1000 && updatedAt1 <= after1 + 1000, `updatedAt filled (${row1.updatedAt})`);

        assert.equal((await s.get('css-1') as any).user, 'x');
        // A later write keeps createdAt and moves updatedAt.
        await delay(15);
        await s.set('css-1', makeSession(2 * HOUR, { user: 'y' }));
        const row2 = await Session.findOne({ where: { sid: 'css-1' } });
        assert.equal(toMs(row2.createdAt), createdAt, 'createdAt is kept on update');
        // (DATE is DATETIME without fractions on MySQL/MariaDB: compare at the second.)
        assert.ok(toMs(row2.updatedAt) >= Math.floor(updatedAt1 / 1000) * 1000 && toMs(row2.updatedAt) >= updatedAt1 - 999, 'updatedAt kept current');
        assert.equal((await s.get('css-1') as any).user, 'y');
        await s.touch('css-1', makeSession(3 * HOUR));
        const row3 = await Session.findOne({ where: { sid: 'css-1' } });
        assert.ok(Math.abs(toMs(row3.expires) - (Date.now() + 3 * HOUR)) < 60_000, 'touch moved `expires`');
        await s.destroy('css-1');
        assert.equal(await s.get('css-1'), null);
        assert.equal(await s.length(), 0);
      });

      it('renames the columns of the created model', async () => {
        const name = table('opt_cols');
        const s = store({ tableName: name, columns: { sid: 'session_id', sess: 'payload', expire: 'expires_at' } });
        await s.set('renamed', makeSession(HOUR, { r: 1 }));
        const row = await rawRow(sequelize, name, 'renamed', { sid: 'session_id', sess: 'payload', expire: 'expires_at' });
        assert.ok(row);
        assert.equal(JSON.parse(String(row.sess)).r, 1);
        assert.equal((await s.get('renamed') as any).r, 1);
      });
    });

    describe('extras', () => {
      let userTable: string;
      let Model: any;
      before(async () => {
        userTable = table('opt_extras');
        Model = defineUserModel(target, sequelize, userTable);
        await Model.sync();
      });
      const columnsOf = async (sid: string) => Model.findOne({ where: { sid }, raw: true });

      it('the seed form: mutate `data`; it gets (data, session, sid)', async () => {
        const seen: unknown[] = [];
        const s = store({
          model: Model,
          extras: (data, sess, sid) => {
            seen.push([JSON.stringify(data), sid, (sess as any).userId]);
            data.userId = (sess as any).userId;
            data.device = `seed:${sid}`;
          },
        });
        await s.set('ex-seed', makeSession(HOUR, { userId: 11 }));
        assert.deepEqual(seen, [['{}', 'ex-seed', 11]]);
        const row = await columnsOf('ex-seed');
        assert.equal(row.userId, 11);
        assert.equal(row.device, 'seed:ex-seed');
      });

      it('the returning form: return an object; written on every set', async () => {
        const s = store({ model: Model, extras: (_data, sess) => ({ userId: (sess as any).userId, device: 'returned' }) });
        await s.set('ex-ret', makeSession(HOUR, { userId: 12 }));
        assert.equal((await columnsOf('ex-ret')).userId, 12);
        await s.set('ex-ret', makeSession(HOUR, { userId: 13 }));
        const row = await columnsOf('ex-ret');
        assert.equal(row.userId, 13);
        assert.equal(row.device, 'returned');
      });

      it('an extras that throws: set rejects with ERR_EXTRAS_FAILED and writes nothing', async () => {
        const good = store({ model: Model, extras: (data) => { data.userId = 1; } });
        await good.set('ex-existing', makeSession(HOUR, { v: 'old' }));
        const s = store({
          model: Model,
          extras: () => {
            throw new Error('boom with secret-content');
          },
        });
        const error = await rejectsWithCode(s.set('ex-throws', makeSession(HOUR, { v: 1 })), 'ERR_EXTRAS_FAILED');
        assert.doesNotMatch(error.message, /secret-content|ex-throws/);
        assert.equal(await columnsOf('ex-throws'), null, 'nothing written');
        await rejectsWithCode(s.set('ex-existing', makeSession(HOUR, { v: 'new' })), 'ERR_EXTRAS_FAILED');
        assert.equal((await good.get('ex-existing') as any).v, 'old', 'an existing session is left as it was');
        assert.equal((await columnsOf('ex-existing')).userId, 1);
      });

      it('an extras that returns a non-object, or names an unknown column, is refused and writes nothing', async () => {
        const s1 = store({ model: Model, extras: (() => 5) as never });
        await rejectsWithCode(s1.set('ex-five', makeSession(HOUR)), 'ERR_EXTRAS_FAILED');
        const s2 = store({ model: Model, extras: (data) => { data.nope = 1; } });
        await rejectsWithCode(s2.set('ex-nope', makeSession(HOUR)), 'ERR_EXTRAS_FAILED');
        const s3 = store({ model: Model, extras: (data) => { data.sess = 'hijack'; } });
        await rejectsWithCode(s3.set('ex-sess', makeSession(HOUR)), 'ERR_EXTRAS_FAILED');
        for (const sid of ['ex-five', 'ex-nope', 'ex-sess']) assert.equal(await columnsOf(sid), null);
      });
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
    });

    it('serializer: a custom one writes the sess column and reads it back', async () => {
      const name = table('opt_ser');
      const serializer = {
        stringify: (value: unknown) => `v1:${Buffer.from(JSON.stringify(value)).toString('base64')}`,
        parse: (text: string) => {
          assert.ok(text.startsWith('v1:'), 'parse gets what stringify made');
          return JSON.parse(Buffer.from(text.slice(3), 'base64').toString());
        },
      };
      const s = store({ tableName: name, serializer });
      await s.set('ser', makeSession(HOUR, { hello: 'world' }));
      const row = await rawRow(sequelize, name, 'ser');
      assert.match(String(row!.sess), /^v1:[A-Za-z0-9+/=]+$/);
      assert.equal(JSON.parse(Buffer.from(String(row!.sess).slice(3), 'base64').toString()).hello, 'world');
      assert.equal((await s.get('ser') as any).hello, 'world');
    });

    it('maxSessionBytes: a larger session is refused with ERR_SESSION_TOO_LARGE and nothing is written', async () => {
      const name = table('opt_max');
      const s = store({ tableName: name, maxSessionBytes: 1000 });
      await s.set('fits', makeSession(HOUR, { blob: 'x'.repeat(500) }));
      assert.ok(await s.get('fits'));
      const error = await rejectsWithCode(s.set('big', makeSession(HOUR, { blob: 'y'.repeat(2000) })), 'ERR_SESSION_TOO_LARGE');
      assert.doesNotMatch(error.message, /yyyy/);
      assert.equal(await rawRow(sequelize, name, 'big'), undefined);
      // Bytes, not characters: 400 × 'é' (2 bytes each) plus the cookie is more than 1000 bytes... or not, per its UTF-8.
      await rejectsWithCode(s.set('fits', makeSession(HOUR, { blob: 'é'.repeat(600) })), 'ERR_SESSION_TOO_LARGE');
      assert.equal((await s.get('fits') as any).blob, 'x'.repeat(500), 'the existing session is untouched');
      // The default (1 MiB) allows large sessions, here 512 KiB, which a 64 KB TEXT could not hold.
      const dflt = store({ tableName: name });
      await dflt.set('half-mb', makeSession(HOUR, { blob: 'z'.repeat(512 * 1024) }));
      assert.equal(((await dflt.get('half-mb')) as any).blob.length, 512 * 1024);
      await rejectsWithCode(dflt.set('two-mb', makeSession(HOUR, { blob: 'z'.repeat(1100 * 1024) })), 'ERR_SESSION_TOO_LARGE');
    });

    describe('createTable', () => {
      it('created model: the table is made lazily, on the first operation', async () => {
        const name = table('opt_lazy');
        const s = store({ tableName: name });
        assert.equal(await tableExists(sequelize, name), false, 'constructing does not create it');
        assert.equal(await s.get('anything'), null);
        assert.equal(await tableExists(sequelize, name), true);
        const qi = sequelize.queryInterface ?? sequelize.getQueryInterface();
        const indexes = await qi.showIndex(name);
        assert.ok(indexes.some((index: any) => index.fields?.[0]?.attribute === 'expire'), 'with its index on expire');
      });

      it('createTable false on the created model: the table is not made', async () => {
        const name = table('opt_nocreate');
        const s = store({ tableName: name, createTable: false });
        await rejectsWithCode(s.get('x'), 'ERR_DATABASE');
        assert.equal(await tableExists(sequelize, name), false);
      });

      it("a user's model: not created by default; createTable: true creates it with an expire index", async () => {
        const name = table('opt_usercreate');
        const Model = defineUserModel(target, sequelize, name);
        const s = store({ model: Model });
        await rejectsWithCode(s.set('u', makeSession(HOUR)), 'ERR_DATABASE');
        assert.equal(await tableExists(sequelize, name), false, 'a user model is not created by default');
        const creating = store({ model: Model, createTable: true });
        await creating.set('u', makeSession(HOUR, { u: 1 }));
        assert.equal((await creating.get('u') as any).u, 1);
        const qi = sequelize.queryInterface ?? sequelize.getQueryInterface();
        const indexes = await qi.showIndex(name);
        assert.ok(indexes.some((index: any) => index.fields?.[0]?.attribute === 'expire'), 'an index on expire was added');
        assert.equal((await s.get('u') as any).u, 1, 'the first store works now that the table exists');
      });

      it('a failed creation is retried by the next operation, not cached', async () => {
        const { seq, fix, cleanup } = await unreachableFirst(target);
        const s = openStore(seq, { tableName: 'retry_sessions' });
        try {
          const first = await s.set('r', makeSession(HOUR)).then(() => undefined, (error: unknown) => error as { code?: string; name?: string });
          assert.ok(first, 'the first operation fails while the database is missing');
          const second = await s.get('r').then(() => undefined, (error: unknown) => error as { code?: string });
          assert.ok(second, 'the second fails too');
          assert.notEqual(second, first, 'a new attempt, not the cached failure of the first');
          await fix();
          // v7's SQLite connection layer may fail once more after the fix; a cached failure never recovers.
          let recovered = false;
          for (let attempt = 0; attempt < 3 && !recovered; attempt++) {
            recovered = await s.set('r', makeSession(HOUR, { back: true })).then(() => true, () => false);
          }
          assert.ok(recovered, 'the store works once the database is there');
          assert.equal((await s.get('r') as any).back, true);
          // Like every database failure, it carries the store's code (SPEC §3 Faults; issue 2: a small error tree with stable codes).
          assert.equal(first.code, 'ERR_DATABASE', `the table-creation failure is a store DatabaseError, got ${first.name} with code ${first.code}`);
        } finally {
          await s.close();
          await cleanup();
        }
      });
    });

    describe('invalid options are refused at construction (ERR_INVALID_OPTION naming the path and the type)', () => {
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['expiration.interval', { expiration: { interval: -5 } }, /number/],
        ['expiration.interval', { expiration: { interval: 'often' } }, /string/],
        ['expiration.interval', { expiration: { interval: true } }, /boolean/],
        ['expiration.interval', { expiration: { interval: Number.NaN } }, /number/],
        ['expiration.life', { expiration: { life: 0 } }, /number/],
        ['expiration.life', { expiration: { life: '1d' } }, /string/],
        ['expiration', { expiration: 5 }, /number/],
        ['touchAfter', { touchAfter: -1 }, /number/],
        ['touchAfter', { touchAfter: '1h' }, /string/],
        ['maxSessionBytes', { maxSessionBytes: 0 }, /number/],
        ['maxSessionBytes', { maxSessionBytes: '1mb' }, /string/],
        ['disableTouch', { disableTouch: 'yes' }, /string/],
        ['createTable', { createTable: 1 }, /number/],
        ['tableName', { tableName: '' }, /string/],
        ['tableName', { tableName: 42 }, /number/],
        ['columns', { columns: 'sid' }, /string/],
        ['columns.sid', { columns: { sid: 5 } }, /number/],
        ['columns.sess', { columns: { sess: null } }, /null/],
        ['extras', { extras: 'fn' }, /string/],
        ['serializer', { serializer: {} }, /object/],
        ['serializer', { serializer: { stringify: JSON.stringify } }, /object/],
      ];
      for (const [path, options, type] of cases) {
        it(`${path} = ${JSON.stringify(Object.values(options)[0])}`, () => {
          const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, ...options } as never), 'ERR_INVALID_OPTION');
          assert.ok(error.message.includes(`\`${path}\``), `the message names \`${path}\`: ${error.message}`);
          assert.match(error.message, type, `the message names the type: ${error.message}`);
        });
      }

      it('unknown options are named (with a migration hint for connect-session-sequelize options)', () => {
        const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, checkExpirationInterval: 1000 } as never), 'ERR_INVALID_OPTION');
        assert.match(error.message, /checkExpirationInterval/);
        assert.match(error.message, /expiration\.interval/);
        assert.match(throwsWithCode(() => new SequelizeSessionStore({ sequelize, tabelName: 'x' } as never), 'ERR_INVALID_OPTION').message, /tabelName/);
        assert.match(throwsWithCode(() => new SequelizeSessionStore({ sequelize, expiration: { every: 1 } } as never), 'ERR_INVALID_OPTION').message, /expiration\.every/);
        assert.match(throwsWithCode(() => new SequelizeSessionStore({ sequelize, columns: { data: 'x' } } as never), 'ERR_INVALID_OPTION').message, /columns\.data/);
      });

      it('options that are not an object (none at all: the instance is what is missing)', () => {
        throwsWithCode(() => new (SequelizeSessionStore as any)(), 'ERR_INVALID_SEQUELIZE');
        throwsWithCode(() => new (SequelizeSessionStore as any)('sqlite://x'), 'ERR_INVALID_OPTION');
      });
    });
  });
}

/**
 * A Sequelize instance whose database does not exist yet (so the first operation fails), a
 * function that creates it, and a cleanup. SQLite: a file in a directory that does not exist yet.
 */
async function unreachableFirst(target: Target): Promise<{ seq: any; fix: () => Promise<void>; cleanup: () => Promise<void> }> {
  const name = uniqueTable('sss_retry').toLowerCase();
  if (target.dialect === 'sqlite') {
    // A file where the database's directory should be: opening fails until it becomes a directory.
    const dir = join(tmpdir(), name);
    writeFileSync(dir, 'not a directory');
    const seq: any = target.connect({ storage: join(dir, 'sessions.sqlite') });
    return {
      seq,
      fix: async () => {
        unlinkSync(dir);
        mkdirSync(dir);
      },
      cleanup: async () => seq.close(),
    };
  }
  const admin: any = target.connect();
  const seq: any = target.connect({ database: name });
  const quoted = quoteIdentifier(admin, name);
  return {
    seq,
    fix: async () => {
      await admin.query(`CREATE DATABASE ${quoted}`);
    },
    cleanup: async () => {
      await seq.close();
      // WITH (FORCE): behind a pooler (pgbouncer), the pool may still hold a server connection to it.
      await admin.query(`DROP DATABASE IF EXISTS ${quoted}${target.dialect === 'postgres' ? ' WITH (FORCE)' : ''}`);
      await admin.close();
    },
  };
}
