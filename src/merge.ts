/**
 * `merge: true` on the JavaScript side: what each session object held when it was read (its base),
 * and the top-level keys a `set` of that object added, changed or deleted since.
 */

import { jsonMembers } from './json-members.js';

/** The JSON text of each top-level key but `cookie`. */
type Base = Map<string, string>;
/** What a session object held when read (or last written), and the session id it was read under (a set of the object under another id writes whole). */
interface Read {
  readonly sid: unknown;
  /** The JSON text of each key, as JSON.stringify wrote it: taken when there is no text to split. */
  readonly base: Base | undefined;
  /**
   * A JSON text of the session as read: the row's text, or what this object's last write sent. Split
   * only when the object is set (most reads are not), its values compared as JSON.stringify writes them.
   */
  readonly source: string | undefined;
  /** The row's stored text as `get` returned it, where it came as text; undefined after a write of ours. */
  readonly text: string | undefined;
}

/** What a `set` changed since its read; `next` becomes the base once the write has landed. */
export interface Diff {
  /** Keys to write (the cookie always, first), each with its JSON text. */
  readonly changed: ReadonlyArray<readonly [key: string, json: string]>;
  /** Keys the read had and the session no longer has. */
  readonly removed: readonly string[];
  readonly next: Read;
  /**
   * The row's text as this request read it (for `sinceRead`: or what the object's last write sent,
   * or its keys as read): a row still holding exactly that takes the whole session (the diff applied
   * to it gives the same), which spares the database the JSON work.
   */
  readonly read: string | undefined;
  /** The whole session as JSON.stringify writes it, built from the same texts: the row's value where no merge applies. */
  readonly text: string;
}

const NONE: readonly never[] = [];

/** A base as the JSON text of an object. */
function objectText(base: Base): string {
  let text = '';
  for (const [key, json] of base) text += `${text === '' ? '{' : ','}${JSON.stringify(key)}:${json}`;
  return text === '' ? '{}' : `${text}}`;
}

function snapshot(session: Record<string, unknown>): Base {
  const base: Base = new Map();
  for (const key of Object.keys(session)) {
    if (key === 'cookie') continue;
    const json = JSON.stringify(session[key]);
    // undefined and functions: JSON.stringify leaves the key out of the row, so does the base.
    if (json !== undefined) base.set(key, json);
  }
  return base;
}

/**
 * Bases by session object, not by session id: express-session builds a new object from each read
 * (createSession), and saves that very object, so a base can only be the read this request made.
 * Another request's read of the same id has an object and a base of its own. Both are kept on the
 * objects themselves, under a symbol of this tracker's, not enumerable (JSON, Object.keys, spreads
 * and deep equality do not see it): a WeakMap entry costs more than the rest of a read's work.
 */
export class MergeTracker {
  /** On a session object: its Read. */
  readonly #read = Symbol('merge read');
  /** On what `get` returned: the stored text it was decoded from, until express-session builds its session from it. */
  readonly #fetched = Symbol('merge fetched');

  /** `get` decoded `data` from a row whose stored text was `text`. */
  fetched(data: object, text: string): void {
    Reflect.defineProperty(data, this.#fetched, { value: text, configurable: true });
  }

  /** Records what a session object, built from `data` (what `get` returned, if it did), holds as read under `sid`. */
  read(session: object, sid: unknown, data?: unknown): void {
    const text = typeof data === 'object' && data !== null ? ((data as Record<symbol, unknown>)[this.#fetched] as string | undefined) : undefined;
    // Without the row's text, the base is taken now: the request is about to change the object.
    const read: Read = text === undefined ? { sid, base: snapshot(session as Record<string, unknown>), source: undefined, text } : { sid, base: undefined, source: text, text };
    this.#keep(session, read);
  }

  /**
   * The changes since this object's read; undefined when there was none (a new or regenerated
   * session). Each key is serialized once, for the diff and for the whole text alike. Throws
   * what JSON.stringify throws (a cycle, a BigInt).
   */
  diff(session: object, sid: string): Diff | undefined {
    const read = this.#readOf(session, sid);
    if (read === undefined) return undefined;
    const fromText = read.base === undefined;
    const base = read.base ?? jsonMembers(read.source!, 'cookie');
    // A stored text that is not a JSON object (decoded by another serializer's rules): whole.
    if (base === undefined) return undefined;
    const values = session as Record<string, unknown>;
    const changed: Array<readonly [string, string]> = [];
    let text = '';
    let kept = 0;
    for (const key of Object.keys(values)) {
      const json = JSON.stringify(values[key]);
      if (json === undefined) continue;
      text += `${text === '' ? '{' : ','}${JSON.stringify(key)}:${json}`;
      if (key === 'cookie') {
        changed.unshift([key, json]);
        continue;
      }
      const before = base.get(key);
      if (before !== undefined) kept++;
      // A stored text is compared as JSON.stringify writes it (the row may hold spaces, 1.0, escapes).
      if (before !== json && (before === undefined || !fromText || JSON.stringify(JSON.parse(before)) !== json)) changed.push([key, json]);
    }
    // Every key of the read still there: nothing removed (the usual case, spared a second pass).
    const removed: string[] = [];
    if (kept < base.size) {
      const now = snapshot(values);
      for (const key of base.keys()) if (!now.has(key)) removed.push(key);
    }
    text = text === '' ? '{}' : `${text}}`;
    // What the row holds after this write is the database's to say: a second save merges, against what this one sent.
    return { changed, removed, next: { sid, base: undefined, source: text, text: undefined }, read: read.text, text };
  }

  /**
   * For a database that works out the changes itself: this object's read as a JSON text (the row's,
   * what its last write sent, or its keys as read) and the whole session; no keys compared here.
   * Undefined and throws as `diff`.
   */
  sinceRead(session: object, sid: string): Diff | undefined {
    const read = this.#readOf(session, sid);
    if (read === undefined) return undefined;
    const text = JSON.stringify(session);
    return { changed: NONE, removed: NONE, next: { sid, base: undefined, source: text, text: undefined }, read: read.source ?? objectText(read.base!), text };
  }

  /** After the write landed: a second save of the same object diffs against what this one wrote. */
  wrote(session: object, diff: Diff): void {
    this.#keep(session, diff.next);
  }

  /** The read a set of `session` under `sid` compares with; undefined: it writes whole. */
  #readOf(session: object, sid: string): Read | undefined {
    const read = (session as Record<symbol, Read | undefined>)[this.#read];
    // A toJSON of its own would make JSON.stringify write something else than its keys: whole.
    return read === undefined || read.sid !== sid || typeof (session as { toJSON?: unknown }).toJSON === 'function' ? undefined : read;
  }

  /** A frozen object refuses it (without throwing): it has no read, and is written whole. */
  #keep(session: object, read: Read): void {
    Reflect.defineProperty(session, this.#read, { value: read, configurable: true, writable: true });
  }
}
