/** The tiny interface every contender implements, and promise wrappers over the Store callback API. */
import type { SessionData, Store } from 'express-session';
import type { Db } from '../lib/config.js';

export interface OpenOptions {
  /** The table (or file name, on SQLite) this instance uses; contenders never share one. */
  readonly table: string;
  /** `touchAfter` for the stores that have it (this store); others ignore it. */
  readonly touchAfter?: number;
  /** Count SQL statements through Sequelize's `logging` (this store and connect-session-sequelize). */
  readonly countStatements?: boolean;
}

export interface Opened {
  readonly store: Store;
  /** SQL statements sent so far, when counted; NaN when the contender does not count them. */
  statements(): number;
  /** Empties the table, untimed. */
  reset(): Promise<void>;
  close(): Promise<void>;
  /** This store's own prune (the prune scenario). */
  prune?(): Promise<number>;
  /** This store's Sequelize instance (the soak counts its pool's connections). */
  sequelize?: any;
  /** A plain SQL runner on the same connection, for the prune scenario's bulk load and baseline. */
  sql?(text: string, bind?: unknown[]): Promise<unknown>;
}

export interface Contender {
  readonly id: string;
  readonly label: string;
  /** The raw floor that ratios are taken against. */
  readonly floor?: boolean;
  /** Timed at the store level only (a variant of another contender, not an app of its own). */
  readonly storeOnly?: boolean;
  supports(db: Db): boolean;
  open(db: Db, options: OpenOptions): Promise<Opened>;
}

const call = <T>(fn: (cb: (error: unknown, value?: T) => void) => unknown) =>
  new Promise<T>((resolve, reject) => {
    fn((error, value) => (error ? reject(error) : resolve(value as T)));
  });

export const ops = {
  get: (store: Store, sid: string) => call<SessionData | null | undefined>((cb) => store.get(sid, cb as never)),
  set: (store: Store, sid: string, session: SessionData) => call<void>((cb) => store.set(sid, session, cb as never)),
  touch: (store: Store, sid: string, session: SessionData) => call<void>((cb) => store.touch!(sid, session, cb as never)),
  destroy: (store: Store, sid: string) => call<void>((cb) => store.destroy(sid, cb as never)),
};

/** A session as express-session hands it to a store (about 300 bytes of JSON). */
export function makeSession(expiresAt: number, n = 0): SessionData {
  return {
    cookie: { originalMaxAge: 86_400_000, expires: new Date(expiresAt), secure: false, httpOnly: true, path: '/', sameSite: 'lax' },
    user: { id: 4242 + n, name: 'Ada Lovelace', roles: ['reader', 'writer'] },
    csrf: 'b1f0c3a5d2e47f9a8c6b0d1e2f3a4b5c',
    visits: n,
    cart: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }],
  } as unknown as SessionData;
}

/**
 * The correctness check every contender passes before it is timed: a set is read back, and a
 * session whose cookie.expires is in the past is not returned by get. Resolves to the failure, or
 * undefined.
 */
export async function checkContender(store: Store): Promise<string | undefined> {
  const tag = Math.random().toString(36).slice(2, 10);
  const live = `check-live-${tag}`;
  const dead = `check-dead-${tag}`;
  try {
    await ops.set(store, live, makeSession(Date.now() + 3_600_000, 7));
    const got = (await ops.get(store, live)) as unknown as { user?: { id?: number }; visits?: number } | null | undefined;
    if (!got || got.user?.id !== 4249 || got.visits !== 7) return 'a session that was set is not read back';
    await ops.set(store, dead, makeSession(Date.now() - 3_600_000, 1));
    const expired = await ops.get(store, dead);
    if (expired) return 'get returns an expired session (cookie.expires in the past)';
    await ops.destroy(store, live);
    if (await ops.get(store, live)) return 'a destroyed session is still returned';
    return undefined;
  } catch (error) {
    return `threw ${(error as Error)?.message ?? String(error)}`;
  } finally {
    await ops.destroy(store, dead).catch(() => undefined);
  }
}
