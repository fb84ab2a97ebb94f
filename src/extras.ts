/** Running the application's `extras` function for a `set`, and refusing what it returns when it cannot be stored. */
import type { SessionData } from 'express-session';
import { describe, InvalidInputError } from './errors.js';
import type { ExtraValues, SequelizeSessionStoreOptions } from './options.js';

/** The values `extras` gives for the extra columns of this session; undefined without `extras`. */
export function extrasOf(extras: SequelizeSessionStoreOptions['extras'], sid: string, session: SessionData): ExtraValues | undefined {
  if (extras === undefined) return undefined;
  const seed: ExtraValues = {};
  let values: unknown;
  try {
    values = extras(seed, session, sid) ?? seed;
  } catch (error) {
    throw new InvalidInputError('ERR_EXTRAS_FAILED', `The \`extras\` function threw (${(error as Error)?.name ?? 'Error'}): nothing was written`);
  }
  if (typeof values !== 'object' || values === null) {
    throw new InvalidInputError('ERR_EXTRAS_FAILED', `Expected \`extras\` to return an object or nothing, got ${describe(values)}`);
  }
  if (typeof (values as { then?: unknown }).then === 'function') {
    // Its columns would be filled after the row was written: refused rather than silently left empty.
    // A rejection of it is nobody's to handle now; it must not crash the process as an unhandled one.
    Promise.resolve(values).catch(() => {});
    throw new InvalidInputError('ERR_EXTRAS_FAILED', '`extras` returned a Promise: it must be synchronous (compute the values before `set`); nothing was written');
  }
  return values as ExtraValues;
}
