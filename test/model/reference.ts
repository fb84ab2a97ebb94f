// The reference model: what SPEC §2.2–§3 says each method must answer, as a small in-memory table.
// It is written from the contract, not from the store:
// - a row holds a session (or a destroy marker), its expiry, its creation time and the extras columns;
// - `get`/`all`/`length` see a row while its expiry is in the future (and, with
//   `expiration.absolute`, while it is younger than the bound); `cleanExpired` removes the rows
//   whose expiry has passed and counts them;
// - `set` inserts or replaces, except over a destroy marker that has not lapsed (logouts stick);
//   a replaced row keeps its creation time (the absolute bound counts from a session's start,
//   however active it is); with `merge`, a set of a session some read returned (its base) writes
//   only the top-level keys changed since that read (the cookie always) into a row that holds an
//   unexpired session, and the whole session into any other row;
// - `touch` moves the expiry of a live session only; with `touchAfter` it skips a move later by
//   less than the window, against the stored expiry, or against what this instance remembers of
//   the row from its own reads and writes (a write that changed no row teaches it nothing);
// - `destroy` leaves a marker for the marker life; `destroyWhere` marks the live sessions whose
//   extras match, except one.
// Faulted writes have an unknown outcome: the model then holds several possible worlds, and every
// later answer must come from one of them (the worlds that disagree with it are dropped).
import type { SessionData } from 'express-session';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ModelConfig {
  readonly life: number;
  readonly touchAfter: number;
  readonly absolute: number | undefined;
  readonly markerLife: number;
  /** Whether `extras` fills userId/device from the session. */
  readonly extras: boolean;
  /** Whether a set with a base merges (`merge: true` where the store can). */
  readonly merge: boolean;
  /** The key stored for a sid (the sid, or its digest). */
  key(sid: string): string;
}

interface Row {
  /** The stored session as JSON, or null for a destroy marker. */
  readonly session: Json | null;
  readonly expire: number;
  readonly created: number;
  readonly userId: Json;
  readonly device: Json;
}

/** One possible state: the table, and what each instance remembers of stored expiries. */
interface World {
  readonly rows: Map<string, Row>;
  readonly known: Array<Map<string, number>>;
}

export type Where = { userId: number | null | number[] } | { device: string };

export type Operation =
  | { op: 'get'; sid: string }
  | { op: 'set'; sid: string; session: SessionData; base?: Json }
  | { op: 'touch'; sid: string; session: SessionData }
  | { op: 'destroy'; sid: string }
  | { op: 'all' }
  | { op: 'length' }
  | { op: 'clear' }
  | { op: 'cleanExpired' }
  | { op: 'destroyWhere'; where: Where; except: string | undefined };

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A canonical text of a value (object keys sorted), to compare answers whatever the key order. */
export function canon(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canon((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** When a session expires: its cookie's `expires`, else now + life (SPEC §2.2 set). */
export function expiryOf(session: SessionData, now: number, life: number): number {
  const expires = (session.cookie as { expires?: unknown } | undefined)?.expires;
  if (expires instanceof Date) return expires.getTime();
  if (typeof expires === 'string') return Date.parse(expires);
  return now + life;
}

export class ReferenceModel {
  readonly config: ModelConfig;
  #worlds: World[];

  constructor(config: ModelConfig, instances: number) {
    this.config = config;
    this.#worlds = [{ rows: new Map(), known: Array.from({ length: instances }, () => new Map()) }];
  }

  get worldCount(): number {
    return this.#worlds.length;
  }

  /** The stored expiry of a sid's row in the first possible world (for commands that aim relative to it). */
  storedExpiry(sid: string): number | undefined {
    return this.#worlds[0]!.rows.get(this.config.key(sid))?.expire;
  }

  /**
   * Applies an operation that answered `actual` (undefined for writes) to every world, keeps the
   * worlds whose answer equals it, and returns undefined, or a description of the mismatch.
   */
  observe(instance: number, operation: Operation, now: number, actual: unknown): string | undefined {
    const answers: string[] = [];
    const kept: World[] = [];
    const seen = canon(actual);
    for (const world of this.#worlds) {
      const next = copyWorld(world);
      const answer = canon(this.#apply(next, instance, operation, now));
      answers.push(answer);
      if (answer === seen) kept.push(next);
    }
    if (kept.length === 0) {
      return `expected ${[...new Set(answers)].join(' or ')}, got ${seen}`;
    }
    this.#worlds = dedupe(kept);
    return undefined;
  }

  /**
   * A write whose outcome is unknown (it failed, maybe after reaching the database): each world
   * splits into one where it did not happen and one where it did. The instance that ran it learned
   * nothing from it.
   */
  unknownOutcome(instance: number, operation: Operation, now: number): void {
    const worlds: World[] = [];
    for (const world of this.#worlds) {
      worlds.push(world);
      const landed = copyWorld(world);
      const known = new Map(landed.known[instance]);
      this.#apply(landed, instance, operation, now);
      landed.known[instance] = known;
      worlds.push(landed);
    }
    this.#worlds = dedupe(worlds);
  }

  /** A new store took the place of `instance`'s: it remembers nothing. */
  restart(instance: number): void {
    for (const world of this.#worlds) world.known[instance] = new Map();
  }

  #visible(row: Row | undefined, now: number): row is Row & { session: Json } {
    if (row === undefined || row.session === null || row.expire <= now) return false;
    return this.config.absolute === undefined || row.created > now - this.config.absolute;
  }

  /** A stored session as `get` returns it: its cookie's `expires` is the stored expiry (SPEC §2.4). */
  #present(row: Row & { session: Json }): Json {
    const session = clone(row.session) as { cookie?: { expires?: unknown } };
    const expires = session.cookie?.expires;
    if (session.cookie && expires !== undefined && expires !== null && expires !== false) {
      session.cookie.expires = new Date(row.expire).toISOString();
    }
    return session as Json;
  }

  #apply(world: World, instance: number, operation: Operation, now: number): unknown {
    const { config } = this;
    const known = world.known[instance]!;
    switch (operation.op) {
      case 'get': {
        const key = config.key(operation.sid);
        const row = world.rows.get(key);
        // A read teaches this instance the row's expiry (SPEC §2.4 touchAfter: "it read the row").
        if (row !== undefined && row.expire > now && config.touchAfter > 0) known.set(key, row.expire);
        return this.#visible(row, now) ? this.#present(row) : null;
      }
      case 'set': {
        const key = config.key(operation.sid);
        const row = world.rows.get(key);
        // Logouts stick (SPEC §3): a marker that has not lapsed blocks the write; it teaches nothing.
        if (row !== undefined && row.session === null && row.expire > now) return undefined;
        const session = operation.session as unknown as Record<string, Json>;
        const expire = expiryOf(operation.session, now, config.life);
        const merging = config.merge && operation.base !== undefined && row !== undefined && row.session !== null && row.expire > now;
        world.rows.set(key, {
          session: merging ? mergeInto(row.session as Record<string, Json>, operation.base as Record<string, Json>, clone(session)) : clone(session),
          expire,
          created: row?.created ?? now,
          userId: config.extras ? (session.userId ?? null) : null,
          device: config.extras ? (session.device ?? null) : null,
        });
        if (config.touchAfter > 0) known.set(key, expire);
        return undefined;
      }
      case 'touch': {
        const key = config.key(operation.sid);
        const expire = expiryOf(operation.session, now, config.life);
        const { touchAfter } = config;
        const remembered = known.get(key);
        // Inside the window of what this instance knows: no statement at all.
        if (touchAfter > 0 && remembered !== undefined && expire >= remembered && expire - remembered < touchAfter) return undefined;
        const row = world.rows.get(key);
        if (!this.#visible(row, now)) return undefined;
        // touchAfter only skips a move later by less than the window; an earlier expiry always writes.
        if (touchAfter > 0 && expire >= row.expire && expire - row.expire < touchAfter) return undefined;
        world.rows.set(key, { ...row, expire });
        if (touchAfter > 0) known.set(key, expire);
        return undefined;
      }
      case 'destroy': {
        const key = config.key(operation.sid);
        const row = world.rows.get(key);
        known.delete(key);
        if (row !== undefined) world.rows.set(key, { ...row, session: null, expire: now + config.markerLife });
        return undefined;
      }
      case 'all': {
        const sessions: Record<string, Json> = {};
        for (const [key, row] of world.rows) if (this.#visible(row, now)) sessions[key] = this.#present(row);
        return sessions;
      }
      case 'length': {
        let count = 0;
        for (const row of world.rows.values()) if (this.#visible(row, now)) count++;
        return count;
      }
      case 'clear':
        world.rows.clear();
        known.clear();
        return undefined;
      case 'cleanExpired': {
        let removed = 0;
        for (const [key, row] of world.rows) {
          if (row.expire < now) {
            world.rows.delete(key);
            removed++;
          }
        }
        return removed;
      }
      case 'destroyWhere': {
        const except = operation.except === undefined ? undefined : config.key(operation.except);
        let removed = 0;
        for (const [key, row] of world.rows) {
          if (key === except || !this.#visible(row, now) || !matches(row, operation.where)) continue;
          world.rows.set(key, { ...row, session: null, expire: now + config.markerLife });
          removed++;
        }
        known.clear();
        return removed;
      }
    }
  }
}

/** The stored session with this request's changes since its read (`base`): per top-level key, the cookie always. */
function mergeInto(stored: Record<string, Json>, base: Record<string, Json>, session: Record<string, Json>): Json {
  const merged = { ...stored };
  for (const key of Object.keys(base)) if (key !== 'cookie' && !(key in session)) delete merged[key];
  for (const [key, value] of Object.entries(session)) {
    if (key === 'cookie' || !(key in base) || canon(base[key]) !== canon(value)) merged[key] = value;
  }
  return merged;
}

function matches(row: Row, where: Where): boolean {
  if ('device' in where) return row.device === where.device;
  const wanted = where.userId;
  if (wanted === null) return row.userId === null;
  if (Array.isArray(wanted)) return wanted.includes(row.userId as number);
  return row.userId === wanted;
}

function copyWorld(world: World): World {
  return { rows: new Map(world.rows), known: world.known.map((known) => new Map(known)) };
}

function dedupe(worlds: World[]): World[] {
  const byText = new Map<string, World>();
  for (const world of worlds) {
    const text = canon({ rows: [...world.rows].sort(([a], [b]) => a.localeCompare(b)), known: world.known.map((k) => [...k].sort()) });
    if (!byText.has(text)) byText.set(text, world);
  }
  return [...byText.values()];
}
