// An Express 5 app driven by supertest through express-session, on every target: login, the next
// request sees it, logout sticks, an expired session is not resumed, a restart keeps the session.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express = require('express');
import session = require('express-session');
import request = require('supertest');
import { targets, uniqueTable } from './support/targets.js';
import { HOUR, dropTable, makeSession, openStore, rawRow, sameDatabase, type LoggedDb, type SequelizeSessionStore } from './support/store-kit.js';

const SECRET = 'store-express-test-secret';

/** The session as this app uses it. */
const data = (req: express.Request) => req.session as unknown as { user?: string; views?: number; cookie: session.Cookie };

function makeApp(store: SequelizeSessionStore): express.Express {
  const app = express();
  app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: HOUR } }));
  app.post('/login', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      data(req).user = 'ada';
      data(req).views = 0;
      res.send('welcome');
    });
  });
  app.get('/me', (req, res) => {
    const sess = data(req);
    if (sess.user) sess.views = (sess.views ?? 0) + 1;
    res.json({ user: sess.user ?? null, views: sess.views ?? null });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.send('bye')));
  });
  app.use((error: { code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(String(error.code));
  });
  return app;
}

/** The `connect.sid=…` pair of a response, and the session id inside it. */
function cookieOf(res: request.Response): { cookie: string; sid: string } {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('connect.sid='));
  assert.ok(header, 'a session cookie was set');
  const cookie = header.split(';')[0]!;
  const value = decodeURIComponent(cookie.slice('connect.sid='.length));
  assert.ok(value.startsWith('s:'));
  return { cookie, sid: value.slice(2, value.lastIndexOf('.')) };
}

for (const target of targets()) {
  describe(`${target.tag} Express 5 + express-session`, () => {
    const table = uniqueTable('exp');
    const open = sameDatabase(target);
    const dbs: LoggedDb[] = [];
    const stores: SequelizeSessionStore[] = [];
    let app: express.Express;
    let db: LoggedDb;

    const boot = () => {
      const d = open();
      const s = openStore(d.sequelize, { tableName: table });
      dbs.push(d);
      stores.push(s);
      return { db: d, store: s, app: makeApp(s) };
    };

    before(() => {
      ({ db, app } = boot());
    });
    after(async () => {
      for (const s of stores) await s.close();
      await dropTable(db.sequelize, table);
      for (const d of dbs) await d.sequelize.close();
    });

    it('login writes the session; the next request sees it; logout ends it for the old cookie', async () => {
      const anonymous = await request(app).get('/me').expect(200);
      assert.deepEqual(anonymous.body, { user: null, views: null });
      assert.equal(anonymous.headers['set-cookie'], undefined, 'saveUninitialized: false writes nothing');

      const login = await request(app).post('/login').expect(200);
      const { cookie, sid } = cookieOf(login);
      assert.ok(await rawRow(db.sequelize, table, sid), 'the session row is written');
      const first = await request(app).get('/me').set('Cookie', cookie).expect(200);
      assert.deepEqual(first.body, { user: 'ada', views: 1 });
      const second = await request(app).get('/me').set('Cookie', cookie).expect(200);
      assert.deepEqual(second.body, { user: 'ada', views: 2 });

      await request(app).post('/logout').set('Cookie', cookie).expect(200);
      const afterLogout = await request(app).get('/me').set('Cookie', cookie).expect(200);
      assert.deepEqual(afterLogout.body, { user: null, views: null });
      assert.equal(await stores[0]!.get(sid), null);
    });

    it('an expired session is not resumed', async () => {
      const login = await request(app).post('/login').expect(200);
      const { cookie, sid } = cookieOf(login);
      assert.deepEqual((await request(app).get('/me').set('Cookie', cookie)).body, { user: 'ada', views: 1 });
      // The same data, with an expiry already past, written straight into the table.
      await stores[0]!.set(sid, makeSession(-1000, { user: 'ada', views: 1 }));
      assert.ok(await rawRow(db.sequelize, table, sid), 'the expired row is still in the table');
      const res = await request(app).get('/me').set('Cookie', cookie).expect(200);
      assert.deepEqual(res.body, { user: null, views: null });
    });

    it('a restarted app (new Sequelize, new store) over the same database still sees the session', async () => {
      const login = await request(app).post('/login').expect(200);
      const { cookie } = cookieOf(login);
      assert.equal((await request(app).get('/me').set('Cookie', cookie)).body.views, 1);
      const restarted = boot();
      const res = await request(restarted.app).get('/me').set('Cookie', cookie).expect(200);
      assert.deepEqual(res.body, { user: 'ada', views: 2 });
      await request(restarted.app).post('/logout').set('Cookie', cookie).expect(200);
      assert.deepEqual((await request(app).get('/me').set('Cookie', cookie)).body, { user: null, views: null }, 'the logout is seen by the first app');
    });

    it("express-session's touch keeps cookie.expires in step (resave: false, rolling)", async () => {
      const rollingApp = express();
      rollingApp.use(session({ store: stores[0]!, secret: SECRET, resave: false, saveUninitialized: false, rolling: true, cookie: { maxAge: 2 * HOUR } }));
      rollingApp.post('/login', (req, res) => {
        data(req).user = 'roll';
        res.send('ok');
      });
      rollingApp.get('/read', (req, res) => res.json({ user: data(req).user ?? null, expires: req.session.cookie.expires }));
      const { cookie, sid } = cookieOf(await request(rollingApp).post('/login').expect(200));
      const before = (await rawRow(db.sequelize, table, sid))!.expire;
      const res = await request(rollingApp).get('/read').set('Cookie', cookie).expect(200);
      assert.equal(res.body.user, 'roll');
      const after = (await rawRow(db.sequelize, table, sid))!.expire;
      assert.ok(after >= before, 'the unchanged session was touched, its expiry not moved back');
      assert.ok(Math.abs(new Date(res.body.expires).getTime() - after) < 2000, 'the row expiry follows the cookie');
    });
  });
}
