/**
 * How a session becomes the value of the `sess` column and back. Text columns hold the serializer's
 * output; JSON columns hold JSON. A destroyed session leaves a marker without data (see statements).
 */
import { InvalidInputError } from './errors.js';

export interface Serializer {
  stringify(value: unknown): string;
  parse(text: string): unknown;
}

export interface Codec {
  /** The bound value for `sess`; throws an {@link InvalidInputError} when the session cannot be stored. */
  encode(session: unknown): string;
  /** The session of a stored value; undefined for the marker a destroy leaves; throws when the value is corrupt. */
  decode(stored: unknown): Record<string, unknown> | undefined;
}

export function createCodec(serializer: Serializer, maxBytes: number, tombstone: string): Codec {
  return {
    encode(session) {
      let text: unknown;
      try {
        text = serializer.stringify(session);
      } catch (error) {
        // The serializer's message could quote the session (a BigInt's value, a key name): keep only its kind.
        throw new InvalidInputError(
          'ERR_SESSION_NOT_SERIALIZABLE',
          `The session cannot be serialized (${(error as Error)?.name ?? 'Error'}): it holds a cycle, a BigInt or another value the serializer refuses`,
        );
      }
      if (typeof text !== 'string' || text === tombstone) {
        throw new InvalidInputError('ERR_SESSION_NOT_SERIALIZABLE', 'The serializer did not turn the session into a string');
      }
      // Most sessions are far below the limit in characters; only count bytes when it could matter.
      if (text.length * 3 > maxBytes) {
        const bytes = Buffer.byteLength(text);
        if (bytes > maxBytes) {
          throw new InvalidInputError(
            'ERR_SESSION_TOO_LARGE',
            `The session is ${bytes} bytes once encoded, more than maxSessionBytes (${maxBytes}): nothing was written`,
          );
        }
      }
      return text;
    },
    decode(stored) {
      if (stored === null || stored === undefined || stored === tombstone) return undefined;
      // JSON columns come back parsed on some drivers, as text on others.
      const value = typeof stored === 'string' ? serializer.parse(stored) : Buffer.isBuffer(stored) ? serializer.parse(stored.toString('utf8')) : stored;
      if (value === null || value === 0) return undefined;
      if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError('not a session object');
      return value as Record<string, unknown>;
    },
  };
}
