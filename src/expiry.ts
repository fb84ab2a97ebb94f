/**
 * Session time: when one expires, whether a touch is worth a write, and the memory of stored
 * expiries (read or written by this process) that lets `touchAfter` skip writes.
 */
import type { SessionData } from 'express-session';

/**
 * The expiry of a session in ms since the epoch: its cookie's `expires` when it has one (a Date,
 * or the ISO string it becomes in JSON), else `now + life` (a browser-session cookie).
 */
export function expiryOf(session: SessionData, now: number, life: number): number {
  const expires = (session.cookie as { expires?: unknown } | undefined)?.expires;
  if (expires instanceof Date) {
    const time = expires.getTime();
    if (!Number.isNaN(time)) return time;
  } else if (typeof expires === 'string' || typeof expires === 'number') {
    const time = new Date(expires).getTime();
    if (!Number.isNaN(time)) return time;
  }
  return now + life;
}

/** Whether the cookie carries its own expiry, so `get` should report the stored one. */
export function hasExpires(session: { cookie?: { expires?: unknown } }): boolean {
  const expires = session.cookie?.expires;
  return expires !== undefined && expires !== null && expires !== false;
}

/**
 * Whether moving a stored expiry to `next` is worth a write under `touchAfter`: only when it moves
 * by at least the window (a later expiry; an earlier one always counts, so shortening takes effect).
 */
export function touchNeeded(stored: number, next: number, touchAfter: number): boolean {
  return next - stored >= touchAfter || next < stored;
}

/** A time as ms since the epoch, whichever form it came in (a Date, ms, or text a driver returned). */
export const toMs = (value: unknown): number =>
  value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(String(value));

/** Past this many remembered expiries the memory of them starts over (it only saves writes). */
const MAX_KNOWN_EXPIRIES = 10_000;

/** Stored expiries this process read or wrote, by row key: what lets `touchAfter` skip a write. */
export class KnownExpiries {
  readonly #known = new Map<string, number>();

  /** Whether a touch to `next` may write nothing: the stored expiry is known and within the window. */
  skips(key: string, next: number, touchAfter: number): boolean {
    const known = this.#known.get(key);
    return known !== undefined && !touchNeeded(known, next, touchAfter);
  }

  remember(key: string, expire: number): void {
    if (this.#known.size >= MAX_KNOWN_EXPIRIES) this.#known.clear();
    this.#known.set(key, expire);
  }

  /** After a write of `expire`: a write that changed no row says nothing of what the row holds (inside the window, gone, destroyed). */
  wrote(key: string, expire: number, changed: boolean): void {
    if (changed) this.remember(key, expire);
    else this.#known.delete(key);
  }

  forget(key: string): void {
    this.#known.delete(key);
  }

  clear(): void {
    this.#known.clear();
  }
}
