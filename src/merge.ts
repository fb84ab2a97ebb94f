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
}

/** What a `set` changed since its read; `next` becomes the base once the write has landed. */
export interface Diff {
  /** Keys to write (the cookie always), each with its JSON text. */
  readonly changed: ReadonlyArray<readonly [key: string, json: string]>;
  /** Keys the read had and the session no longer has. */
  readonly removed: readonly string[];
  readonly next: Read;
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

  /** Records what a session object holds as read under `sid`. */
  read(session: object, sid: unknown): void {
    this.#reads.set(session, { sid, base: snapshot(session as Record<string, unknown>) });
  }

  /** The changes since this object's read; undefined when there was none (a new or regenerated session). */
  diff(session: object, sid: string): Diff | undefined {
    const read = this.#reads.get(session);
    if (read === undefined || read.sid !== sid) return undefined;
    const { base } = read;
    const next = snapshot(session as Record<string, unknown>);
    const cookie = JSON.stringify((session as { cookie?: unknown }).cookie);
    const changed: Array<readonly [string, string]> = cookie === undefined ? [] : [['cookie', cookie]];
    for (const [key, json] of next) if (base.get(key) !== json) changed.push([key, json]);
    const removed: string[] = [];
    for (const key of base.keys()) if (!next.has(key)) removed.push(key);
    return { changed, removed, next: { sid, base: next } };
  }

  /** After the write landed: a second save of the same object diffs against what this one wrote. */
  wrote(session: object, diff: Diff): void {
    this.#reads.set(session, diff.next);
  }
}
