// CSRF protection with a synchronizer token: a random token kept in the session, rendered into every
// form and compared on every POST. A cross-site page can make the browser send the cookie (for a
// top-level POST, sameSite=lax does not stop that in every browser) but cannot read the token.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const CSRF_FIELD = '_csrf';

/** The session's token, created on first use (which also makes the session worth saving). */
export function csrfToken(req: Request): string {
  req.session.csrfToken ??= randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

function sameToken(expected: string | undefined, given: unknown): boolean {
  if (typeof expected !== 'string' || typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // timingSafeEqual needs equal lengths; the length of a token is no secret.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Refuses every unsafe request whose form does not carry the session's token. */
export function verifyCsrf(onFailure: (req: Request, res: Response) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const body: unknown = req.body;
    const given = body && typeof body === 'object' ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
    if (sameToken(req.session.csrfToken, given)) return next();
    onFailure(req, res);
  };
}
