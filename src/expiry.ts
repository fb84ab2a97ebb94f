/** Pure time arithmetic of sessions: when one expires, and whether a touch is worth a write. */
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
