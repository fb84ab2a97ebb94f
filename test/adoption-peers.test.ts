// SPEC §2.5: the tables of connect-pg-simple, connect-session-sequelize, express-mysql-session and
// connect-session-knex, made and filled by those packages themselves, adopted with the README's
// one-liner; then both stores on one table (a rolling deploy), each reading the other's writes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express = require('express');
import session = require('express-session');
import request = require('supertest');
import type { Store } from 'express-session';
import { targets, type Target } from './support/targets.js';
import { SequelizeSessionStore, quoteIdentifier, quoteTable, statementsDuring, toMs } from './support/store-kit.js';
import {
  VERSIONS,
  call,
  freshPlace,
  openConnectPgSimple,
  openConnectSessionKnex,
  openConnectSessionSequelize,
  openExpressMysqlSession,
  sequelizeOptions,
  sessionOf,
  type OpenPeer,
  type Place,
} from './support/peers.js';

const HOUR = 3_600_000;

interface Peer {
  readonly name: keyof typeof VERSIONS;
  readonly preset: 'connect-pg-simple' | 'connect-session-sequelize' | 'express-mysql-session' | 'connect-session-knex';
  readonly runs: (target: Target) => boolean;
  readonly open: (place: Place) => Promise<OpenPeer>;
  /** Whether the peer's own `get` refuses an expired row (connect-session-sequelize's does not: its pruner removes them). */
  readonly getChecksExpiry: boolean;
  /** The server's default time zone for the peer's database (PostgreSQL), when not the server's own. */
  readonly zone?: string;
  readonly table: string;
  readonly sidColumn: string;
  readonly expireColumn: string;
}

const PEERS: Peer[] = [
  {
    name: 'connect-pg-simple', preset: 'connect-pg-simple', table: 'session', sidColumn: 'sid', expireColumn: 'expire',
    runs: (t) => t.dialect === 'postgres', open: openConnectPgSimple, getChecksExpiry: true,
  },
  {
    // connect-pg-simple's `timestamp without time zone` holds wall-clock time in the zone its
    // connections start in: far from UTC, a wrong conversion would shift every expiry by 13 hours.
    name: 'connect-pg-simple', preset: 'connect-pg-simple', table: 'session', sidColumn: 'sid', expireColumn: 'expire', zone: 'Pacific/Auckland',
    runs: (t) => t.dialect === 'postgres', open: openConnectPgSimple, getChecksExpiry: true,
  },
  {
    name: 'connect-session-sequelize', preset: 'connect-session-sequelize', table: 'Sessions', sidColumn: 'sid', expireColumn: 'expires',
    // The peer runs on its own Sequelize v6 instance; the store adopts its table from either major.
    runs: () => true, open: openConnectSessionSequelize, getChecksExpiry: false,
  },
  {
    name: 'express-mysql-session', preset: 'express-mysql-session', table: 'sessions', sidColumn: 'session_id', expireColumn: 'expires',
    runs: (t) => t.dialect === 'mariadb' || t.dialect === 'mysql', open: openExpressMysqlSession, getChecksExpiry: true,
  },
  {
    name: 'connect-session-knex', preset: 'connect-session-knex', table: 'sessions', sidColumn: 'sid', expireColumn: 'expired',
    runs: () => true, open: openConnectSessionKnex, getChecksExpiry: true,
  },
];

/** An app of the deploy: the same code, the same cookie secret, on either store. */
function appOn(store: Store): express.Express {
  const app = express();
  app.use(session({ store, secret: 'adopt-peers-secret', resave: false, saveUninitialized: false, cookie: { maxAge: HOUR } }));
  const data = (req: express.Request) => req.session as unknown as { user?: string; views?: number };
  app.post('/login', (req, res) => {
    data(req).user = 'zoe';
    data(req).views = 0;
    res.send('welcome');
  });
  app.get('/me', (req, res) => {
    const sess = data(req);
    if (sess.user) sess.views = (sess.views ?? 0) + 1;
    res.json({ user: sess.user ?? null, views: sess.views ?? null });
  });
  app.post('/logout', (req, res, next) => req.session.destroy((error) => (error ? next(error) : res.send('bye'))));
  return app;
}

/** The peer's `get`: a session, or null for none (some peers answer undefined). */
async function peerGet(store: Store, sid: string): Promise<unknown> {
  return (await call(store, 'get', sid)) ?? null;
}

/** How many indexes of the table start with the expiry column, as the database lists them. */
async function expireIndexes(sequelize: any, table: string, column: string): Promise<number> {
  const queryInterface = sequelize.queryInterface ?? sequelize.getQueryInterface();
  const indexes = (await queryInterface.showIndex(table)) as Array<{ fields?: Array<{ attribute?: string }> }>;
  return indexes.filter((index) => index.fields?.[0]?.attribute === column).length;
}

for (const target of targets()) {
  for (const peer of PEERS.filter((p) => p.runs(target))) {
    const where = peer.zone ? ` in a database whose time zone is ${peer.zone}` : '';
    describe(`${target.tag} adopting ${peer.name} ${VERSIONS[peer.name]}'s table${where}`, () => {
      let place: Place;
      let old: OpenPeer;
      let sequelize: any;
      let log: string[];
      let store: SequelizeSessionStore;

      before(async () => {
        place = await freshPlace(target.dialect, { zone: peer.zone });
        old = await peer.open(place);
        // Sessions written by the peer before the switch.
        await call(old.store, 'set', 'old-live', sessionOf(2 * HOUR, { user: 'ann', cart: [1, 2] }));
        await call(old.store, 'set', 'old-second', sessionOf(2 * HOUR, { user: 'bob' }));
        await call(old.store, 'set', 'old-expired', sessionOf(-HOUR, { user: 'eve' }));
        log = [];
        sequelize = target.connect({ ...sequelizeOptions(place), logging: (sql: string) => log.push(sql) });
        // The README's one-liner.
        store = new SequelizeSessionStore({ sequelize, preset: peer.preset });
      });
      after(async () => {
        await store?.close();
        await old?.close();
        await sequelize?.close();
        await place?.drop();
      });

      it(`reads the sessions ${peer.name} wrote, and not its expired ones`, async () => {
        const session = (await store.get('old-live')) as any;
        assert.equal(session?.user, 'ann');
        assert.deepEqual(session.cart, [1, 2]);
        assert.equal(await store.get('old-expired'), null);
        assert.equal(await store.get('never-there'), null);
      });

      it('one statement per get, set, touch and destroy once the table was read', async () => {
        await store.get('old-second');
        const later = sessionOf(5 * HOUR, { user: 'bob' });
        for (const run of [
          () => store.get('old-second'),
          () => store.touch('old-second', later),
          () => store.set('old-second', sessionOf(4 * HOUR, { user: 'bob', step: 2 })),
          () => store.destroy('count-missing'),
        ]) {
          assert.equal((await statementsDuring(log, run)).length, 1);
        }
      });

      it(`touches, rewrites and destroys a session ${peer.name} wrote`, async () => {
        const touched = sessionOf(6 * HOUR, { user: 'ann', cart: [1, 2] });
        await store.touch('old-live', touched);
        const afterTouch = (await store.get('old-live')) as any;
        assert.equal(afterTouch.user, 'ann');
        // The peers keep whole seconds at best.
        assert.ok(Math.abs(Date.parse(afterTouch.cookie.expires) - (touched.cookie.expires as Date).getTime()) <= 1000);
        await store.set('old-live', sessionOf(3 * HOUR, { user: 'ann', cart: [3] }));
        assert.deepEqual(((await store.get('old-live')) as any).cart, [3]);
        await store.destroy('old-live');
        assert.equal(await store.get('old-live'), null);
        assert.equal(await peerGet(old.store, 'old-live'), null, `${peer.name} reads a destroyed session as none`);
      });

      it(`side by side with ${peer.name} on one table: each reads the other's new writes`, async () => {
        await store.set('ours-new', sessionOf(HOUR, { by: 'store' }));
        await call(old.store, 'set', 'theirs-new', sessionOf(HOUR, { by: peer.name }));
        assert.equal(((await call<any>(old.store, 'get', 'ours-new')) ?? {}).by, 'store');
        assert.equal(((await store.get('theirs-new')) as any)?.by, peer.name);

        // Expiry means the same to both.
        await store.set('ours-expired', sessionOf(-HOUR, { by: 'store' }));
        await call(old.store, 'set', 'theirs-expired', sessionOf(-HOUR, { by: peer.name }));
        assert.equal(await store.get('theirs-expired'), null);
        if (peer.getChecksExpiry) assert.equal(await peerGet(old.store, 'ours-expired'), null);
        // The store's prune removes the peer's expired rows, and only those.
        await store.cleanExpired();
        assert.equal(((await call<any>(old.store, 'get', 'ours-new')) ?? {}).by, 'store');
        assert.equal(((await store.get('theirs-new')) as any)?.by, peer.name);
        const rows = (await sequelize.query(
          `SELECT COUNT(*) AS n FROM ${quoteTable(sequelize, peer.table)} WHERE ${quoteIdentifier(sequelize, peer.sidColumn)} IN ('ours-expired', 'theirs-expired')`,
          { type: 'SELECT' },
        )) as Array<{ n: unknown }>;
        assert.equal(Number(rows[0]!.n), 0);

        // A touch by one is seen by the other.
        await call(old.store, 'touch', 'ours-new', sessionOf(5 * HOUR, { by: 'store' }));
        const touched = (await store.get('ours-new')) as any;
        assert.ok(Date.parse(touched.cookie.expires) > Date.now() + 4 * HOUR, `${peer.name}'s touch moved the expiry`);

        // Logouts by either are logouts for both.
        await store.destroy('theirs-new');
        assert.equal(await peerGet(old.store, 'theirs-new'), null);
        await call(old.store, 'destroy', 'ours-new');
        assert.equal(await store.get('ours-new'), null);
      });

      if (peer.name === 'connect-session-sequelize') {
        it('adopted with tableName and columns and no model: set fills createdAt and updatedAt', async () => {
          const byColumns = new SequelizeSessionStore({ sequelize, tableName: 'Sessions', columns: { sid: 'sid', sess: 'data', expire: 'expires' } });
          try {
            const before = Date.now() - 1000;
            await byColumns.set('by-columns', sessionOf(HOUR, { user: 'cy' }));
            const q = (name: string) => quoteIdentifier(sequelize, name);
            const [row] = (await sequelize.query(
              `SELECT ${q('createdAt')} AS c, ${q('updatedAt')} AS u FROM ${quoteTable(sequelize, 'Sessions')} WHERE ${q('sid')} = 'by-columns'`,
              { type: 'SELECT' },
            )) as Array<{ c: unknown; u: unknown }>;
            for (const value of [row!.c, row!.u]) assert.ok(toMs(value) >= before, `a timestamp was filled: ${String(value)}`);
            assert.equal(((await call<any>(old.store, 'get', 'by-columns')) ?? {}).user, 'cy');
          } finally {
            await byColumns.close();
          }
        });
      }

      it(`a rolling deploy through express-session: a user goes back and forth between ${peer.name} and the store`, async () => {
        const oldApp = appOn(old.store);
        const newApp = appOn(store);
        for (const [first, second] of [[oldApp, newApp], [newApp, oldApp]] as const) {
          const login = await request(first).post('/login').expect(200);
          const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
          assert.deepEqual((await request(second).get('/me').set('Cookie', cookie).expect(200)).body, { user: 'zoe', views: 1 });
          assert.deepEqual((await request(first).get('/me').set('Cookie', cookie).expect(200)).body, { user: 'zoe', views: 2 });
          await request(second).post('/logout').set('Cookie', cookie).expect(200);
          assert.deepEqual((await request(first).get('/me').set('Cookie', cookie).expect(200)).body, { user: null, views: null });
        }
      });

      it("sync(), and the application's sequelize.sync(), leave a single index on the expiry column", async () => {
        await store.sync();
        await store.sync();
        await sequelize.sync();
        assert.equal(await expireIndexes(sequelize, peer.table, peer.expireColumn), 1);
      });
    });
  }
}
