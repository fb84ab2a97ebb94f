// The Express app, built from a store and its model so that tests and other entry points can reuse
// it. Sessions are the only state: who is signed in, the visit count, the CSRF token.
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Op } from 'sequelize';
import type { SequelizeSessionStore } from 'sequelize-session-store';
import { csrfToken, verifyCsrf } from './csrf.js';
import type { DemoSessionModel, DemoSessionRow } from './database.js';
import { STYLESHEET, errorPage, homePage, sessionsPage, type PageContext } from './views.js';

export interface DemoAppOptions {
  readonly store: SequelizeSessionStore;
  /** The store's model (`store.model`), typed with the demo's columns. */
  readonly model: DemoSessionModel;
  /** Signs the session cookie; several rotate (the first signs, all verify). */
  readonly secret: string | string[];
  /** Printed in the footer: "SQLite", "PostgreSQL", … */
  readonly databaseLabel?: string;
}

export const COOKIE_NAME = 'demo.sid';
const MAX_NAME_LENGTH = 40;
const COOKIE_MAX_AGE = 14 * 24 * 60 * 60 * 1000;

export function createApp({ store, model, secret, databaseLabel = 'the database' }: DemoAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // One proxy (a TLS terminator) in front: trust its X-Forwarded-Proto so `secure: 'auto'` works.
  app.set('trust proxy', 1);

  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    });
    next();
  });

  // Before the session middleware: assets need no session lookup.
  app.get('/style.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=300').send(STYLESHEET);
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });

  app.use(
    session({
      store,
      name: COOKIE_NAME,
      secret,
      resave: false,
      // No row for a visitor until there is something to keep (a count, a CSRF token).
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: COOKIE_MAX_AGE },
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));
  app.use((_req, res, next) => {
    // Pages depend on the session: never cache them.
    res.set('Cache-Control', 'no-store');
    next();
  });

  const context = (req: Request): PageContext => {
    const flash = req.session.flash;
    delete req.session.flash;
    return { userName: req.session.userName, csrfToken: csrfToken(req), flash, databaseLabel };
  };

  app.use(
    verifyCsrf((req, res) => {
      res
        .status(403)
        .send(errorPage(context(req), 'Form expired', 'This form was not sent by this page, or it has expired. Go back, reload and try again.'));
    }),
  );

  app.get('/', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.send(homePage(context(req), req.session.visits));
  });

  app.post('/sign-in', (req, res, next) => {
    const name = normalizeName((req.body as Record<string, unknown> | undefined)?.name);
    if (typeof name !== 'string' || name === '' || name.length > MAX_NAME_LENGTH) {
      const error = `Please enter a name of 1 to ${MAX_NAME_LENGTH} characters.`;
      res.status(400).send(homePage(context(req), req.session.visits ?? 0, { error, name: typeof name === 'string' ? name : '' }));
      return;
    }
    const visits = req.session.visits ?? 0;
    // A new id on sign-in, so an id planted before sign-in (session fixation) is worth nothing.
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.userName = name;
      req.session.visits = visits;
      req.session.flash = `Signed in as ${name}.`;
      req.session.save((saveErr) => (saveErr ? next(saveErr) : res.redirect(303, '/')));
    });
  });

  app.post('/sign-out', (req, res, next) => {
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie(COOKIE_NAME, { path: '/', httpOnly: true, sameSite: 'lax' });
      res.redirect(303, '/');
    });
  });

  app.get('/sessions', async (req, res) => {
    const userName = req.session.userName;
    if (!userName) return res.redirect(303, '/');
    const now = new Date();
    // raw: plain rows, no model instances (v6's types do not narrow findAll for raw, hence the cast).
    const rows = (await model.findAll({ where: { userName, expire: { [Op.gt]: now } }, raw: true })) as unknown as DemoSessionRow[];
    const sessions = rows
      // A destroyed session may leave a short-lived marker row without data (SPEC §2.2 `destroy`),
      // which keeps its userName: it is no active session.
      .filter((row) => typeof row.sess === 'string' && row.sess.trim() !== '')
      .map((row) => ({ current: row.sid.toString() === req.sessionID, lastSeen: toDate(row.lastSeen), expire: toDate(row.expire) ?? now }))
      .sort((a, b) => Number(b.current) - Number(a.current) || (b.lastSeen?.getTime() ?? 0) - (a.lastSeen?.getTime() ?? 0));
    res.send(sessionsPage(context(req), sessions, now));
  });

  app.post('/sessions/sign-out-others', async (req, res) => {
    const userName = req.session.userName;
    if (!userName) return res.redirect(303, '/');
    const removed = await store.destroyWhere({ userName }, { except: req.sessionID });
    req.session.flash =
      removed === 0 ? 'There was no other session to sign out.' : `Signed out ${removed} other ${removed === 1 ? 'session' : 'sessions'}.`;
    res.redirect(303, '/sessions');
  });

  app.use((req, res) => {
    res.status(404).send(errorPage(pageContextOrAnonymous(req, databaseLabel), 'Not found', 'There is no page at this address.'));
  });

  // Express 5 forwards rejected promises of async handlers here, as it does store errors.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = httpStatus(err);
    if (status >= 500) console.error(`demo: ${req.method} ${req.path} failed: ${oneLine(err)}`);
    const message =
      status >= 500 ? 'Something went wrong on our side (is the database reachable?). Please try again.' : 'The request could not be understood.';
    res.status(status).send(errorPage(pageContextOrAnonymous(req, databaseLabel), 'Sorry', message));
  });

  return app;
}

/** The session's page context, or an anonymous one when the session itself is what failed. */
function pageContextOrAnonymous(req: Request, databaseLabel: string): PageContext {
  if (req.session) {
    return { userName: req.session.userName, csrfToken: req.session.csrfToken ?? '', flash: undefined, databaseLabel };
  }
  return { userName: undefined, csrfToken: '', flash: undefined, databaseLabel };
}

/** Trimmed, inner whitespace collapsed, control characters refused (undefined). */
function normalizeName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  return value.trim().replace(/\s+/g, ' ');
}

/** Raw rows give dates as Date objects or, on some dialects, strings. */
function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date;
}

function httpStatus(err: unknown): number {
  const status = (err as { status?: unknown; statusCode?: unknown } | null)?.status ?? (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.replace(/\s+/g, ' ').trim();
}
