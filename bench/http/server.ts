/**
 * The contenders' Express 5 + express-session apps, run in a child process of the benchmark (so the
 * load generator and the apps do not share an event loop; one app is loaded at a time, the others
 * sit idle). Argument: a JSON array of { contender, db, table, touchAfter }. Tells their ports over
 * IPC; answers { cmd: 'stats', index } with that app's statement count.
 */
import '../lib/no-source-maps.js';
import express from 'express';
import session from 'express-session';
import type { AddressInfo } from 'node:net';
import { byId } from '../contenders/index.js';
import type { Db } from '../lib/config.js';

declare module 'express-session' {
  interface SessionData {
    benchUser: { id: number; name: string };
    n: number;
  }
}

interface Spec {
  contender: string;
  db: Db;
  table: string;
  touchAfter: number;
}

async function startOne(spec: Spec) {
  const opened = await byId(spec.contender).open(spec.db, {
    table: spec.table,
    touchAfter: spec.touchAfter,
    countStatements: spec.contender.startsWith('sss') || spec.contender === 'css',
  });
  await opened.reset();
  const app = express();
  app.set('etag', false);
  app.set('x-powered-by', false);
  app.use(
    session({
      store: opened.store,
      secret: 'bench-secret-not-for-production',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 86_400_000 },
    }),
  );
  let logins = 0;
  app.get('/login', (req, res) => {
    req.session.benchUser = { id: ++logins, name: 'Ada Lovelace' };
    req.session.n = 0;
    res.send('ok');
  });
  // Writes the session: express-session calls get, then set.
  app.get('/write', (req, res) => {
    if (!req.session.benchUser) return void res.status(401).end();
    req.session.n = (req.session.n ?? 0) + 1;
    res.send(String(req.session.n));
  });
  // Only reads it: get, then touch.
  const read: express.RequestHandler = (req, res) => {
    if (!req.session.benchUser) return void res.status(401).end();
    res.send(`hello ${req.session.benchUser.name} ${req.session.n}`);
  };
  app.get('/read', read);
  app.get('/page', read);
  app.get('/asset/:n', read);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.keepAliveTimeout = 60_000;
  return {
    port: (server.address() as AddressInfo).port,
    statements: () => opened.statements(),
    async close() {
      server.closeAllConnections();
      server.close();
      await opened.reset().catch(() => undefined);
      await opened.close();
    },
  };
}

async function main(): Promise<void> {
  const specs = JSON.parse(process.argv[2]!) as Spec[];
  const apps: Array<Awaited<ReturnType<typeof startOne>>> = [];
  for (const spec of specs) apps.push(await startOne(spec));
  process.send!({ ports: apps.map((a) => a.port) });
  process.on('message', (message: { cmd: string; index: number }) => {
    if (message.cmd === 'stats') process.send!({ statements: apps[message.index]!.statements() });
    if (message.cmd === 'close') {
      Promise.allSettled(apps.map((a) => a.close())).finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((error) => {
  console.error('bench server failed:', error);
  process.exit(1);
});
