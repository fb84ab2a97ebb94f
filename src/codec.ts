/**
 * How a session becomes the value of the `sess` column and a stored row becomes a session again:
 * the serializer's text (JSON for JSON columns), sealed when encryption is on, and the cookie's
 * expiry taken from the row. A destroyed session leaves a marker without data.
 */
import type { SessionData } from 'express-session';
import type { Sealer } from './crypto.js';
import { CorruptSessionError, InvalidInputError } from './errors.js';
import { hasExpires, toMs } from './expiry.js';
import type { Serializer } from './options.js';

export type { Serializer };

const QUOTE = 0x22;

/** A stored row as the get and all statements return it. */
export interface Row {
  k?: unknown;
  s: unknown;
  e: unknown;
}

export interface Codec {
  /**
   * The bound value for `sess`; throws an {@link InvalidInputError} when the session cannot be
   * stored. `text`: the session already serialized by the JSON serializer (merge's diff).
   */
  encode(session: unknown, rowKey: string, text?: string): string;
  /** The session of a stored value; undefined for a destroy marker; throws when the value cannot be decoded. */
  decode(stored: unknown, rowKey: string): Record<string, unknown> | undefined;
  /** The session of a row, its cookie expiring when the row does; null for a marker or an undecodable row (reported). */
  session(row: Row, rowKey: string): SessionData | null;
  /** The sessions of rows of { k, s, e }, by stored key (markers and undecodable rows left out). */
  sessions(rows: readonly Row[]): Record<string, SessionData>;
}

export function createCodec(options: {
  serializer: Serializer;
  json: boolean;
  maxBytes: number;
  marker: string;
  sealer: Sealer | undefined;
  /** Hears of a row that could not be decoded (it is then read as no session). */
  corrupt: (error: CorruptSessionError) => void;
}): Codec {
  const { serializer, json, maxBytes, marker, sealer, corrupt } = options;
  return {
    encode(session, rowKey, serialized) {
      let text: unknown = serialized;
      try {
        text ??= serializer.stringify(session);
      } catch (error) {
        // The serializer's message could quote the session (a key name, a value): keep only its kind.
        throw new InvalidInputError(
          'ERR_SESSION_NOT_SERIALIZABLE',
          `The session cannot be serialized (${(error as Error)?.name ?? 'Error'}): it holds a cycle, a BigInt or another value the serializer refuses`,
        );
      }
      if (typeof text !== 'string' || text === marker) {
        throw new InvalidInputError('ERR_SESSION_NOT_SERIALIZABLE', 'The serializer did not turn the session into a string');
      }
      if (sealer) text = sealer.seal(text as string, rowKey);
      // A JSON column holds a sealed session as a JSON string.
      if (sealer && json) text = JSON.stringify(text);
      const encoded = text as string;
      // Most sessions are far below the limit in characters: only count bytes when it could matter.
      if (encoded.length * 3 > maxBytes) {
        const bytes = Buffer.byteLength(encoded);
        if (bytes > maxBytes) {
          throw new InvalidInputError(
            'ERR_SESSION_TOO_LARGE',
            `The session is ${bytes} bytes once encoded, more than maxSessionBytes (${maxBytes}): nothing was written`,
          );
        }
      }
      return encoded;
    },
    decode(stored, rowKey) {
      if (stored === null || stored === undefined || stored === marker) return undefined;
      // JSON columns come back parsed from some drivers, as text from others. A parsed value is
      // copied: concurrent readers of one row each get a session of their own to mutate.
      let value: unknown = Buffer.isBuffer(stored) ? stored.toString('utf8') : typeof stored === 'object' ? structuredClone(stored) : stored;
      // A sealed session is a JSON string in a JSON column: drivers that parse JSON (pg) give back the
      // bare envelope, drivers that return text give it quoted. Only the quoted form needs parsing.
      if (json && typeof value === 'string' && !(sealer && value.charCodeAt(0) !== QUOTE)) value = JSON.parse(value);
      if (value === null) return undefined;
      if (sealer) {
        if (typeof value !== 'string') throw new TypeError('not sealed');
        const opened = sealer.open(value, rowKey);
        if (opened === undefined) throw new TypeError('cannot be opened');
        value = opened;
      }
      if (typeof value === 'string') value = serializer.parse(value);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('not a session object');
      return value as Record<string, unknown>;
    },
    session(row, rowKey) {
      let session: Record<string, unknown> | undefined;
      try {
        session = this.decode(row.s, rowKey);
      } catch {
        corrupt(new CorruptSessionError('ERR_CORRUPT_SESSION', 'A stored session could not be decoded; it is treated as missing'));
        return null;
      }
      if (session === undefined) return null;
      const cookie = session.cookie as { expires?: unknown } | undefined;
      // After a touch the row's expiry is newer than the stored cookie's; a browser-session cookie has none.
      if (cookie && hasExpires(session)) cookie.expires = new Date(toMs(row.e)).toISOString();
      return session as unknown as SessionData;
    },
    sessions(rows) {
      const sessions: Record<string, SessionData> = {};
      for (const row of rows) {
        const key = Buffer.isBuffer(row.k) ? row.k.toString('utf8') : String(row.k);
        const session = this.session(row, key);
        if (session !== null) sessions[key] = session;
      }
      return sessions;
    },
  };
}
