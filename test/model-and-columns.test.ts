// SPEC §2.1 model, tableName, columns, extras, createTable: the created model and its table, a user's
// model (v6 define, v7 Model.init) with extra columns and relations, renamed columns, extras in both
// forms and their refusals, and when the table is created (lazily, retried after a failure).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable, type Target } from './support/targets.js';
import {
  HOUR,
  SequelizeSessionStore,
  connectLogged,
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
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { exactSidType } from './support/per-dialect.js';

async function tableExists(sequelize: any, table: string): Promise<boolean> {
  const qi = sequelize.queryInterface ?? sequelize.getQueryInterface();
  return qi.tableExists(table);
}

for (const target of targets().filter((t) => t.major === 'v7')) {
  describe(`${target.tag} a user model defined with v7's Model.init`, () => {
    let sequelize: any;
    const tables: string[] = [];
    const stores: SequelizeSessionStore[] = [];

    before(() => {
      sequelize = connectLogged(target).sequelize;
    });
    after(async () => {
      for (const s of stores) await s.close();
      for (const t of tables) await dropTable(sequelize, t);
      await sequelize?.close();
    });

    it('a user model defined with Model.init (timestamps, extras) works with every method', async () => {
      const { Model, DataTypes } = require('@sequelize/core') as typeof import('@sequelize/core');
      const table = uniqueTable('v7_init');
      tables.push(table);
      class UserSession extends Model {}
      UserSession.init(
        {
          sid: { type: exactSidType(target, DataTypes), primaryKey: true },
          sess: { type: DataTypes.TEXT, allowNull: false },
          expire: { type: DataTypes.DATE(6), allowNull: false },
          userId: { type: DataTypes.INTEGER, allowNull: true },
        },
        { sequelize, tableName: table, timestamps: true },
      );
      const store = openStore(sequelize, {
        model: UserSession as never,
        createTable: true,
        extras: (data, sess) => {
          data.userId = (sess as any).userId ?? null;
        },
      });
      stores.push(store);
      assert.equal(store.model, UserSession);
      const before = Date.now();
      await store.set('init-a', makeSession(HOUR, { userId: 1, n: 1 }));
      await store.set('init-b', makeSession(HOUR, { userId: 1, n: 2 }));
      await store.set('init-c', makeSession(HOUR, { userId: 2, n: 3 }));
      const row: any = await UserSession.findOne({ where: { sid: 'init-a' }, raw: true });
      assert.equal(row.userId, 1);
      assert.ok(toMs(row.createdAt) >= before - 1000 && toMs(row.updatedAt) >= before - 1000, 'timestamps filled');
      assert.equal((await store.get('init-a') as any).n, 1);
      await store.touch('init-a', makeSession(3 * HOUR));
      assert.ok(Math.abs((await rawRow(sequelize, table, 'init-a'))!.expire - (Date.now() + 3 * HOUR)) < 60_000);
      assert.equal(await store.length(), 3);
      assert.deepEqual(Object.keys(await store.all()).sort(), ['init-a', 'init-b', 'init-c']);
      assert.equal(await store.destroyWhere({ userId: 1 }, { except: 'init-a' }), 1);
      assert.equal(await store.get('init-b'), null);
      await store.destroy('init-a');
      assert.equal(await store.get('init-a'), null);
      await store.set('init-old', makeSession(-1000, { userId: 3 }));
      assert.ok((await store.cleanExpired()) >= 1);
      assert.equal(await store.length(), 1);
      await store.clear();
      assert.equal(await store.length(), 0);
    });
  });
}

for (const target of targets()) {
  describe(`${target.tag} model, table and columns (SPEC §2.1)`, () => {
    let sequelize: any;
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
      sequelize = connectLogged(target).sequelize;
    });
    after(async () => {
      for (const s of stores) await s.close();
      for (const name of tables.reverse()) await dropTable(sequelize, name);
      await sequelize?.close();
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
