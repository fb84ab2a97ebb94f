/** Checks of what callers pass before any statement runs: session ids and sessions. Messages never hold either. */
import { InvalidInputError, StoreClosedError, describe } from './errors.js';

/** Refuses any call after close() and a non-string sid; undefined when the call may go on. */
export function refused(operation: string, sid: unknown, closed: boolean): Promise<never> | undefined {
  if (closed) return Promise.reject(new StoreClosedError(operation));
  if (typeof sid === 'string') return undefined;
  return Promise.reject(new InvalidInputError('ERR_INVALID_SID', `Expected the session id of ${operation} to be a string, got ${describe(sid, true)}`));
}

/** Whether the sid column can hold this id exactly (drivers would mangle NUL and lone surrogates). */
export function storable(sid: string, maxLength: number): boolean {
  return sid.length > 0 && sid.length <= maxLength && !sid.includes('\u0000') && sid.isWellFormed();
}

/** Throws unless `set` can store this id and session. */
export function checkWrite(sid: string, session: unknown, maxLength: number): void {
  if (!storable(sid, maxLength)) {
    throw new InvalidInputError('ERR_INVALID_SID', `A session id must be a non-empty, well-formed string of at most ${maxLength} characters without NUL`);
  }
  const bad = badSession(session);
  if (bad) throw bad;
}

/** The error of a session that is not an object; undefined for one that is. */
export function badSession(session: unknown): InvalidInputError | undefined {
  if (typeof session === 'object' && session !== null) return undefined;
  return new InvalidInputError('ERR_INVALID_SESSION', `Expected the session to be an object, got ${describe(session)}`);
}
