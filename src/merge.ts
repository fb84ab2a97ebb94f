/**
 * `merge: true` on the JavaScript side: what each session object held when it was read (its base),
 * and the top-level keys a `set` of that object added, changed or deleted since.
 */

/** The JSON text of each top-level key but `cookie`, as JSON.stringify would write it. */
type Base = Map<string, string>;
/** A base, and the session id it was read under (a set of the object under another id writes whole). */
interface Read {
  readonly sid: unknown;
  readonly base: Base;
  /** The row's stored text as `get` returned it, where it came as text; undefined after a write of ours. */
  readonly text: string | undefined;
}

/** What a `set` changed since its read; `next` becomes the base once the write has landed. */
export interface Diff {
  /** Keys to write (the cookie always), each with its JSON text. */
  readonly changed: ReadonlyArray<readonly [key: string, json: string]>;
  /** Keys the read had and the session no longer has. */
  readonly removed: readonly string[];
  readonly next: Read;
  /**
   * The row's text as this request read it: a row still holding exactly that takes the whole
   * session (the diff applied to it gives the same), which spares the database the JSON work.
   */
  readonly read: string | undefined;
  /** The whole session as JSON.stringify writes it, built from the same texts: the row's value where no merge applies. */
  readonly text: string;
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
 * Another request's read of the same id has an object and a base of its own.
 */
export class MergeTracker {
  readonly #reads = new WeakMap<object, Read>();
  /** The stored text of each session `get` returned, until express-session builds its session from it. */
  readonly #fetched = new WeakMap<object, string>();

  /** `get` decoded `data` from a row whose stored text was `text`. */
  fetched(data: object, text: string): void {
    this.#fetched.set(data, text);
  }

  /** Records what a session object, built from `data` (what `get` returned, if it did), holds as read under `sid`. */
  read(session: object, sid: unknown, data?: unknown): void {
    const text = typeof data === 'object' && data !== null ? this.#fetched.get(data) : undefined;
    this.#reads.set(session, { sid, base: snapshot(session as Record<string, unknown>), text });
  }

  /**
   * The changes since this object's read; undefined when there was none (a new or regenerated
   * session). Each key is serialized once, for the diff and for the whole text alike. Throws
   * what JSON.stringify throws (a cycle, a BigInt).
   */
  diff(session: object, sid: string): Diff | undefined {
    const read = this.#reads.get(session);
    // A toJSON of its own would make JSON.stringify write something else than its keys: whole.
    if (read === undefined || read.sid !== sid || typeof (session as { toJSON?: unknown }).toJSON === 'function') return undefined;
    const { base } = read;
    const next: Base = new Map();
    const changed: Array<readonly [string, string]> = [];
    let cookie: string | undefined;
    let text = '';
    for (const key of Object.keys(session)) {
      const json = JSON.stringify((session as Record<string, unknown>)[key]);
      if (json === undefined) continue;
      text += `${text === '' ? '{' : ','}${JSON.stringify(key)}:${json}`;
      if (key === 'cookie') cookie = json;
      else {
        next.set(key, json);
        if (base.get(key) !== json) changed.push([key, json]);
      }
    }
    // The cookie is always written, first.
    if (cookie !== undefined) changed.unshift(['cookie', cookie]);
    const removed: string[] = [];
    for (const key of base.keys()) if (!next.has(key)) removed.push(key);
    // What the row holds after this write is the database's to say: a second save merges.
    return { changed, removed, next: { sid, base: next, text: undefined }, read: read.text, text: text === '' ? '{}' : `${text}}` };
  }

  /** After the write landed: a second save of the same object diffs against what this one wrote. */
  wrote(session: object, diff: Diff): void {
    this.#reads.set(session, diff.next);
  }
}
