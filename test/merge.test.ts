// `merge: true` through Express + express-session (1.17 and 1.19) + supertest, on every target and
// sess column type: two requests of one session that overlap (both read before either writes)
// keep each other's changes to different keys; with merge off the later write wins whole.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express = require('express');
import request = require('supertest');
import { targets, uniqueTable, type Target } from './support/targets.js';
import {
  HOUR,
  dataTypes,
  dropTable,
  makeSession,
  openStore,
  rawRow,
  rawSetSess,
  rejectsWithCode,
  sameDatabase,
  statementsDuring,
  withoutCookie,
  type LoggedDb,
  type SequelizeSessionStore,
} from './support/store-kit.js';

const SECRET = 'merge-test-secret';
const VERSIONS = { '1.19': require('express-session'), '1.17': require('express-session-1-17') } as Record<string, any>;
const KEY = Buffer.alloc(32, 7).toString('hex');

type Layout = 'TEXT' | 'JSON' | 'JSONB';
const layoutsOf = (target: Target): Layout[] => (target.dialect === 'postgres' ? ['TEXT', 'JSON', 'JSONB'] : ['TEXT', 'JSON']);

/** Promises a route awaits before it changes the session, so two requests overlap deterministically. */
class Gates {
  readonly #gates = new Map<string, { arrived: () => void; hasArrived: Promise<void>; release: () => void; released: Promise<void> }>();
  #entry(name: string) {
    let gate = this.#gates.get(name);
    if (gate === undefined) {
      let arrived!: () => void;
      let release!: () => void;
      const hasArrived = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      gate = { arrived, hasArrived, release, released };
      this.#gates.set(name, gate);
    }
    return gate;
  }
  /** In a route: the session is loaded; wait for the test. */
  wait(name: string): Promise<void> {
    const gate = this.#entry(name);
    gate.arrived();
    return gate.released;
  }
  arrived(name: string): Promise<void> {
    return this.#entry(name).hasArrived;
  }
  release(name: string): void {
    this.#entry(name).release();
  }
}

function makeApp(store: SequelizeSessionStore, version: string, gates: Gates): express.Express {
  const app = express();
  app.use(VERSIONS[version]({ store, secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: HOUR } }));
  // ?gate=name waits there (after the session was read); ?set={json} assigns keys, ?del=a,b deletes them.
  app.post('/change', async (req, res) => {
    if (typeof req.query.gate === 'string') await gates.wait(req.query.gate);
    const session = req.session as unknown as Record<string, unknown>;
    if (typeof req.query.set === 'string') Object.assign(session, JSON.parse(req.query.set));
    if (typeof req.query.del === 'string') for (const key of req.query.del.split(',')) delete session[key];
    res.send('ok');
  });
  app.get('/show', (req, res) => res.json(withoutCookie(req.session)));
  app.post('/logout', (req, res, next) => req.session.destroy((error) => (error ? next(error) : res.send('bye'))));
  app.use((error: { code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(String(error.code));
  });
  return app;
}

function cookieOf(res: request.Response): string {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('connect.sid='));
  assert.ok(header, 'a session cookie was set');
  return header.split(';')[0]!;
}

const change = (ops: { set?: Record<string, unknown>; del?: string[]; gate?: string }) => {
  const query = new URLSearchParams();
  if (ops.set) query.set('set', JSON.stringify(ops.set));
  if (ops.del) query.set('del', ops.del.join(','));
  if (ops.gate) query.set('gate', ops.gate);
  return `/change?${query}`;
};

/** A user's model on `table` whose `sess` is `layout` (TEXT: the created default table instead). */
function modelOf(target: Target, sequelize: any, table: string, layout: Layout): unknown {
  if (layout === 'TEXT') return undefined;
  const types = dataTypes(sequelize);
  const exactSid = target.dialect === 'mariadb' || target.dialect === 'mysql' ? 'VARBINARY(1020)' : types.STRING(255);
  return sequelize.define(
    `Merge_${table}`,
    {
      sid: { type: exactSid, primaryKey: true, allowNull: false },
      sess: { type: types[layout], allowNull: false },
      expire: { type: types.DATE(6), allowNull: false },
    },
    { tableName: table, timestamps: false },
  );
}

for (const target of targets()) {
  for (const layout of layoutsOf(target)) {
    for (const version of Object.keys(VERSIONS)) {
      describe(`${target.tag} merge, sess ${layout}, express-session ${version}`, () => {
        const table = uniqueTable('mrg');
        const open = sameDatabase(target);
        const dbs: LoggedDb[] = [];
        const stores: SequelizeSessionStore[] = [];
        const gates = new Gates();
        let gateCount = 0;

        /** An app instance of its own (its own Sequelize and store) on the shared table. */
        const boot = (options: Record<string, unknown> = {}) => {
          const db = open();
          const model = modelOf(target, db.sequelize, table, layout);
          const store = openStore(db.sequelize, { tableName: table, ...(model ? { model, createTable: true } : {}), ...options } as never);
          dbs.push(db);
          stores.push(store);
          return { db, store, app: makeApp(store, version, gates) };
        };
        let merging: ReturnType<typeof boot>;
        let whole: ReturnType<typeof boot>;

        before(() => {
          merging = boot({ merge: true });
          whole = boot({ merge: false });
        });
        after(async () => {
          for (const store of stores) await store.close();
          await dropTable(dbs[0]!.sequelize, table);
          for (const db of dbs) await db.sequelize.close();
        });

        /** A session holding `data`, through `app`; its cookie. */
        const start = async (app: express.Express, data: Record<string, unknown>) =>
          cookieOf(await request(app).post(change({ set: data })).expect(200));

        /**
         * Runs `first` and `second` (paths of /change, on their apps) so that both read the session
         * before either writes, then lets `first` finish (its set lands) before `second` does.
         */
        const overlap = async (cookie: string, first: [express.Express, Parameters<typeof change>[0]], second: [express.Express, Parameters<typeof change>[0]]) => {
          const a = `g${++gateCount}`;
          const b = `g${++gateCount}`;
          const one = request(first[0]).post(change({ ...first[1], gate: a })).set('Cookie', cookie).then((res) => res);
          let two: Promise<request.Response> | undefined;
          try {
            await gates.arrived(a);
            two = request(second[0]).post(change({ ...second[1], gate: b })).set('Cookie', cookie).then((res) => res);
            await gates.arrived(b);
            gates.release(a);
            assert.equal((await one).status, 200);
          } finally {
            // A failure above must not leave a request waiting for good.
            gates.release(a);
            gates.release(b);
          }
          assert.equal((await two).status, 200);
        };
        const show = async (app: express.Express, cookie: string) => (await request(app).get('/show').set('Cookie', cookie).expect(200)).body;

        it('two overlapping requests changing different keys both keep their change', async () => {
          const { app } = merging;
          const cookie = await start(app, { cart: ['book'], seen: 'home', n: 1 });
          await overlap(cookie, [app, { set: { cart: ['book', 'pen'] } }], [app, { set: { seen: 'shop' } }]);
          assert.deepEqual(await show(app, cookie), { cart: ['book', 'pen'], seen: 'shop', n: 1 });
        });

        it('with merge off, the later write wins whole (the first change is lost)', async () => {
          const { app } = whole;
          const cookie = await start(app, { cart: ['book'], seen: 'home', n: 1 });
          await overlap(cookie, [app, { set: { cart: ['book', 'pen'] } }], [app, { set: { seen: 'shop' } }]);
          assert.deepEqual(await show(app, cookie), { cart: ['book'], seen: 'shop', n: 1 });
        });

        it('a key deleted by one request and untouched by the other stays deleted', async () => {
          const { app } = merging;
          const cookie = await start(app, { flash: 'saved', seen: 'home' });
          await overlap(cookie, [app, { del: ['flash'] }], [app, { set: { seen: 'shop' } }]);
          assert.deepEqual(await show(app, cookie), { seen: 'shop' });
          // And the other way round: the deleting request is the later one.
          const again = await start(app, { flash: 'saved', seen: 'home' });
          await overlap(again, [app, { set: { seen: 'shop' } }], [app, { del: ['flash'] }]);
          assert.deepEqual(await show(app, again), { seen: 'shop' });
        });

        it('with merge off, the deleted key comes back with the later whole write', async () => {
          const { app } = whole;
          const cookie = await start(app, { flash: 'saved', seen: 'home' });
          await overlap(cookie, [app, { del: ['flash'] }], [app, { set: { seen: 'shop' } }]);
          assert.deepEqual(await show(app, cookie), { flash: 'saved', seen: 'shop' });
        });

        it('a key changed by both ends with the later value; nested objects are replaced whole', async () => {
          const { app } = merging;
          const cookie = await start(app, { theme: 'light', prefs: { a: 1, b: 2 } });
          await overlap(cookie, [app, { set: { theme: 'dark', prefs: { a: 9 } } }], [app, { set: { theme: 'blue', prefs: { c: 3 } } }]);
          assert.deepEqual(await show(app, cookie), { theme: 'blue', prefs: { c: 3 } });
        });

        it('across two app instances on one table, both changes are kept (merge off: the later wins)', async () => {
          const other = boot({ merge: true });
          const cookie = await start(merging.app, { cart: [], seen: 'home' });
          await overlap(cookie, [merging.app, { set: { cart: ['pen'] } }], [other.app, { set: { seen: 'shop' } }]);
          assert.deepEqual(await show(other.app, cookie), { cart: ['pen'], seen: 'shop' });

          const otherWhole = boot({ merge: false });
          const plain = await start(whole.app, { cart: [], seen: 'home' });
          await overlap(plain, [whole.app, { set: { cart: ['pen'] } }], [otherWhole.app, { set: { seen: 'shop' } }]);
          assert.deepEqual(await show(whole.app, plain), { cart: [], seen: 'shop' });
        });

        it('a real null value survives a merge, and keys may be set to null', async () => {
          const { app } = merging;
          const cookie = await start(app, { kept: null, gone: 1, other: 'x' });
          await overlap(cookie, [app, { set: { gone: null, added: null } }], [app, { set: { other: 'y' } }]);
          assert.deepEqual(await show(app, cookie), { kept: null, gone: null, added: null, other: 'y' });
        });

        it('a logout during an overlapping request sticks', async () => {
          const { app } = merging;
          const cookie = await start(app, { user: 'ada' });
          const gate = `g${++gateCount}`;
          const slow = request(app).post(change({ set: { seen: 'late' }, gate })).set('Cookie', cookie).then((res) => res);
          await gates.arrived(gate);
          await request(app).post('/logout').set('Cookie', cookie).expect(200);
          gates.release(gate);
          assert.equal((await slow).status, 200);
          assert.deepEqual(await show(app, cookie), {}, 'the old cookie finds no session');
        });

        it('a merging set is still one statement (the request: one read, one write)', async () => {
          const { app, db } = merging;
          const cookie = await start(app, { a: 1 });
          const statements = await statementsDuring(db.log, () => request(app).post(change({ set: { b: 2 } })).set('Cookie', cookie).expect(200));
          assert.equal(statements.length, 2, statements.join('\n'));
          assert.match(statements[0]!, /^SELECT/);
          assert.match(statements[1]!, /^INSERT/);
          assert.deepEqual(await show(app, cookie), { a: 1, b: 2 });
        });
      });
    }

    describe(`${target.tag} merge, sess ${layout}: the row as it is at write time`, () => {
      const table = uniqueTable('mrs');
      const open = sameDatabase(target);
      let db: LoggedDb;
      let store: SequelizeSessionStore;
      const stores: SequelizeSessionStore[] = [];
      const extraTables: string[] = [];
      const make = (options: Record<string, unknown>) => {
        const model = modelOf(target, db.sequelize, table, layout);
        const made = openStore(db.sequelize, { tableName: table, ...(model ? { model, createTable: true } : {}), ...options } as never);
        stores.push(made);
        return made;
      };
      /** What a request reads: the session object express-session builds from `get`. */
      const read = async (from: SequelizeSessionStore, sid: string) =>
        from.createSession({ sessionID: sid } as never, (await from.get(sid))!) as unknown as Record<string, unknown>;

      before(() => {
        db = open();
        store = make({ merge: true });
      });
      after(async () => {
        for (const made of stores) await made.close();
        for (const name of [table, ...extraTables]) await dropTable(db.sequelize, name);
        await db.sequelize.close();
      });

      it('an expired row gets the whole session: its old keys are not revived', async () => {
        await store.set('exp', makeSession(HOUR, { a: 1 }));
        const session = await read(store, 'exp');
        await store.set('exp', makeSession(-1000, { a: 1, zombie: true }));
        session.b = 2;
        await store.set('exp', session as never);
        assert.deepEqual(withoutCookie(await store.get('exp')), { a: 1, b: 2 });
      });

      it('a row that is not a JSON object gets the whole session', async () => {
        await store.set('odd', makeSession(HOUR, { a: 1 }));
        const session = await read(store, 'odd');
        await rawSetSess(db.sequelize, table, 'odd', '[1,2]');
        session.b = 2;
        await store.set('odd', session as never);
        assert.deepEqual(withoutCookie(await store.get('odd')), { a: 1, b: 2 });
      });

      it('a second save of the same object writes what changed since the first', async () => {
        await store.set('twice', makeSession(HOUR, { a: 1, b: 1 }));
        const mine = await read(store, 'twice');
        const theirs = await read(store, 'twice');
        mine.a = 2;
        await store.set('twice', mine as never);
        theirs.b = 2;
        await store.set('twice', theirs as never);
        mine.c = 3;
        await store.set('twice', mine as never);
        assert.deepEqual(withoutCookie(await store.get('twice')), { a: 2, b: 2, c: 3 });
      });

      it('a session that cannot be serialized is refused as without merge, nothing written', async () => {
        await store.set('big', makeSession(HOUR, { a: 1 }));
        const session = await read(store, 'big');
        session.n = 1n;
        await rejectsWithCode(store.set('big', session as never), 'ERR_SESSION_NOT_SERIALIZABLE');
        assert.deepEqual(withoutCookie(await store.get('big')), { a: 1 });
      });

      it('a row nobody changed since the read takes the whole session as written; a row changed meanwhile merges', { skip: layout !== 'TEXT' ? 'the shortcut is for text rows' : false }, async () => {
        await store.set('same', makeSession(HOUR, { a: 1, b: 1 }));
        const session = await read(store, 'same');
        // The same value moved last: a merge would keep the row's order (and its own spacing).
        delete session.a;
        session.a = 1;
        session.b = 2;
        await store.set('same', session as never);
        assert.equal((await rawRow(db.sequelize, table, 'same'))!.sess, JSON.stringify(session));
        const mine = await read(store, 'same');
        const stored = JSON.parse(String((await rawRow(db.sequelize, table, 'same'))!.sess));
        await rawSetSess(db.sequelize, table, 'same', JSON.stringify({ ...stored, c: 3 }));
        mine.d = 4;
        await store.set('same', mine as never);
        assert.deepEqual(withoutCookie(await store.get('same')), { a: 1, b: 2, c: 3, d: 4 });
      });

      it('a row changed meanwhile keeps what the other request wrote exactly (digits, escapes, nulls); dotted keys merge', async () => {
        await store.set('exact', makeSession(HOUR, { a: 1, 'x.y': 1, gone: 1 }));
        const theirs = await read(store, 'exact');
        const mine = await read(store, 'exact');
        const written = { r: 0.30000000000000004, big: 1e21, s: 'h\u00e9 "q" \\', n: null, deep: { list: [null, true], o: {} } };
        Object.assign(theirs, written, { 'x.y': 2 });
        await store.set('exact', theirs as never);
        mine.a = 2;
        mine.t = false;
        mine['a.b'] = [null];
        delete mine.gone;
        await store.set('exact', mine as never);
        assert.deepEqual(withoutCookie(await store.get('exact')), { a: 2, 'x.y': 2, ...written, t: false, 'a.b': [null] });
      });

      it('a key JSON writes with escapes merges too, except on SQLite, where its set writes whole', async () => {
        const odd = 'say "hi" \\ there';
        await store.set('esc', makeSession(HOUR, { a: 1, b: 1 }));
        const theirs = await read(store, 'esc');
        const mine = await read(store, 'esc');
        theirs.b = 2;
        await store.set('esc', theirs as never);
        mine[odd] = 'quoted';
        await store.set('esc', mine as never);
        const expected = target.dialect === 'sqlite' ? { a: 1, b: 1, [odd]: 'quoted' } : { a: 1, b: 2, [odd]: 'quoted' };
        assert.deepEqual(withoutCookie(await store.get('esc')), expected);
      });

      if (layout === 'TEXT') it('falls back to whole writes with encryption, and with hashSids it still merges', async () => {
        const sealedTable = uniqueTable('mre');
        const hashedTable = uniqueTable('mrh');
        extraTables.push(sealedTable, hashedTable);
        const sealed = make({ merge: true, encryption: { keys: [KEY] }, tableName: sealedTable, model: undefined });
        await sealed.set('enc', makeSession(HOUR, { a: 1, b: 1 }));
        const one = await read(sealed, 'enc');
        const two = await read(sealed, 'enc');
        one.a = 2;
        two.b = 2;
        await sealed.set('enc', one as never);
        await sealed.set('enc', two as never);
        assert.deepEqual(withoutCookie(await sealed.get('enc')), { a: 1, b: 2 }, 'whole writes: the later one wins');

        const hashed = make({ merge: true, hashSids: true, tableName: hashedTable, model: undefined });
        await hashed.set('hash', makeSession(HOUR, { a: 1, b: 1 }));
        const three = await read(hashed, 'hash');
        const four = await read(hashed, 'hash');
        three.a = 2;
        four.b = 2;
        await hashed.set('hash', three as never);
        await hashed.set('hash', four as never);
        assert.deepEqual(withoutCookie(await hashed.get('hash')), { a: 2, b: 2 });
      });
    });
  }
}
