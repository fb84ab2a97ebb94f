/**
 * `merge: true` in SQL: the merging form of each dialect's upsert. Only the `sess` assignment of the
 * conflict branch changes; the row is patched as it is at write time, one statement as before.
 */
import type { Dialect } from './dialects/index.js';
import type { Diff } from './merge.js';
import type { SessionModel } from './model.js';
import type { DialectName } from './sequelize-compat.js';

export interface MergeSql {
  /**
   * What a set hands over: 'keys', the keys it changed and removed since its read (worked out in
   * JavaScript); 'read', the text of its read alone (the database compares it with the session).
   */
  readonly needs: 'keys' | 'read';
  /**
   * The merging form of an upsert (built with `extraCount` extras) for this diff, with the bind
   * values it takes after the upsert's own; undefined when this set must write whole.
   */
  statement(whole: string, extraCount: number, diff: Diff): { sql: string; bind: unknown[] } | undefined;
}

/** Past this many merging texts (per list of extras, and per arity on MySQL) no more are kept. */
const MAX_FORMS = 256;
/** MySQL/MariaDB: the most keys one merging set removes or rewrites; a larger diff writes whole. */
const MAX_PATHS = 64;

const entry = (key: string, json: string) => `${JSON.stringify(key)}:${json}`;
const patchOf = (diff: Diff) => `{${diff.changed.map(([key, json]) => entry(key, json)).join(',')}}`;

/**
 * Per dialect: the SQL replacing the conflict branch's `sess` value, given the placeholders of
 * now (in the `expire` column's form) and of the merge's bind values, and those bind values.
 * Each keeps the existing rules: the row is merged only when it holds a live, unexpired session
 * that is a JSON object; an expired row or a lapsed marker gets the whole session (a merge never
 * revives an expired row's keys), and a live marker is still left alone by the upsert's condition.
 */
interface Form {
  readonly needs: 'keys' | 'read';
  /** How many bind values the SQL takes for this diff (one SQL text per arity); undefined: write whole. */
  arity(diff: Diff): number | undefined;
  /** [text to replace in the upsert, its replacement]. */
  splice(now: string, first: number, arity: number): readonly [string, string];
  bind(diff: Diff, arity: number): unknown[];
}

/** A PostgreSQL text[] literal (bound as text, cast in SQL): each element quoted, `"` and `\\` escaped. */
const textArray = (items: readonly string[]) => `{${items.map((item) => `"${item.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

function postgres(model: SessionModel, live: string, sessType: string): Form {
  const { sess, expire } = model.shape;
  const current = `cur.${sess}`;
  // jsonb `-` drops top-level keys, `||` replaces top-level keys whole and keeps real nulls.
  const asJsonb = sessType === 'JSONB' ? current : `${current}::jsonb`;
  const back = sessType === 'JSONB' ? '' : sessType === 'JSON' ? '::json' : '::text';
  // A text column may hold anything; only text that opens an object is cast (a failed cast would fail the set).
  const object = sessType === 'JSONB' ? `jsonb_typeof(${current}) = 'object'` : sessType === 'JSON' ? `json_typeof(${current}) = 'object'` : `left(${current}, 1) = '{'`;
  // A text row (json and jsonb reach `get` parsed, without their text) still holding what its
  // request read takes the whole session: no jsonb parse. "C" compares bytes, whatever the column's collation.
  const text = sessType !== 'JSONB' && sessType !== 'JSON';
  return {
    needs: 'keys',
    splice: (now, first, arity) => {
      const read = arity === 3 ? `${current} <> $${first} COLLATE "C" AND ` : '';
      const patch = arity === 3 ? first + 1 : first;
      return [
        `${sess} = excluded.${sess}`,
        // The patch and the removed keys are bound as text and cast in the branch that uses them: a
        // parameter typed jsonb or text[] would be parsed when bound, on every set, merged or not.
        `${sess} = CASE WHEN cur.${expire} > ${now} AND ${live} AND ${read}${object} ` +
          `THEN ((${asJsonb} - $${patch + 1}::text::text[]) || $${patch}::text::jsonb)${back} ` +
          `ELSE excluded.${sess} END`,
      ];
    },
    arity: (diff) => (text && diff.read !== undefined ? 3 : 2),
    bind: (diff, arity) => (arity === 3 ? [diff.read, patchOf(diff), textArray(diff.removed)] : [patchOf(diff), textArray(diff.removed)]),
  };
}

/** The smallest power of two at least `n`; 0 for none. */
function bucket(n: number): number {
  if (n === 0) return 0;
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

/**
 * MySQL/MariaDB: one SQL text per pair of sizes (keys removed, keys written), each a
 * power of two, as `removals * 128 + changes`; a diff is padded up to its sizes.
 */
function pathArity(diff: Diff): number | undefined {
  if (diff.changed.length === 0 || diff.changed.length > MAX_PATHS || diff.removed.length > MAX_PATHS) return undefined;
  return bucket(diff.removed.length) * 128 + bucket(diff.changed.length) + (diff.read === undefined ? 0 : AS_READ);
}

/**
 * In an arity: the row's text as read is bound first of the merge's values (placeholders must
 * first appear in the order of their numbers: v7's SQLite binds by position), and a row still
 * holding it takes the whole session.
 */
const AS_READ = 1 << 14;
const withRead = (arity: number) => (arity & AS_READ) !== 0;

/** Paths then (path, JSON) pairs, padded to `arity`: removals with the cookie's path, changes by repeating the last (the cookie's). */
function pathBind(diff: Diff, arity: number): unknown[] {
  const removals = Math.floor((arity & ~AS_READ) / 128);
  const changes = arity % 128;
  const cookie = '$."cookie"';
  const values: unknown[] = withRead(arity) ? [diff.read] : [];
  for (const key of diff.removed) values.push(`$.${JSON.stringify(key)}`);
  while (values.length < removals) values.push(cookie);
  // The cookie goes last, so that padding repeats it after every other key.
  const ordered = [...diff.changed.filter(([key]) => key !== 'cookie'), ...diff.changed.filter(([key]) => key === 'cookie')];
  for (const [key, json] of ordered) values.push(`$.${JSON.stringify(key)}`, json);
  const last = ordered[ordered.length - 1]!;
  for (let i = ordered.length; i < changes; i++) values.push(`$.${JSON.stringify(last[0])}`, last[1]);
  return values;
}

/** The placeholders of `pathBind`'s values from `first`: the removed paths, and the pairs with each JSON wrapped by `json`. */
function pathPlaceholders(
  first: number,
  arity: number,
  json: (placeholder: string) => string,
): { removed: string; set: string; removals: number; read: string | undefined } {
  const removals = Math.floor((arity & ~AS_READ) / 128);
  const changes = arity % 128;
  const read = withRead(arity) ? `$${first}` : undefined;
  const from = read === undefined ? first : first + 1;
  const removed = Array.from({ length: removals }, (_, i) => `$${from + i}`).join(', ');
  const at = from + removals;
  const set = Array.from({ length: changes }, (_, i) => `$${at + 2 * i}, ${json(`$${at + 2 * i + 1}`)}`).join(', ');
  return { removed, set, removals, read };
}

/** On SQLite: whether every key of `doc` is one its JSON path `$."key"` addresses exactly (JSON writes it without escapes). */
const plainKeys = (doc: string) => `NOT EXISTS (SELECT 1 FROM json_each(${doc}) WHERE json_quote(key) <> '"' || key || '"')`;
/** On SQLite: the JSON text of `doc`'s member `key` (an SQL expression), as written there (numbers and strings verbatim). */
const member = (doc: string, key: string) => `${doc} -> ('$."' || ${key} || '"')`;

/**
 * SQLite takes the read text alone and works out what changed itself. Its driver costs about a
 * microsecond per bound value on the request's thread, as much as the whole statement's JSON
 * work, and a row still holding what was read (the usual case) needs no diff at all: this form
 * binds one value more than the whole write, where a diff made in JavaScript bound three more
 * and cost as much again to build. A row changed since the read is rebuilt member by member: the
 * row's keys this request neither changed nor removed (compared with the read, text to text),
 * then this request's changed keys and its cookie. Members keep their text (a real null, a
 * nested object replaced whole, a number's digits). A row or session with a key the path form
 * cannot address takes the whole session (the read is only looked up by their keys).
 */
function sqlite(model: SessionModel, live: string): Form {
  const { sess, expire } = model.shape;
  const current = `cur.${sess}`;
  const next = `excluded.${sess}`;
  return {
    needs: 'read',
    arity: (diff) => (diff.read === undefined ? undefined : 1),
    splice(now, first) {
      const read = `$${first}`;
      const unchanged = (key: string) => `${member(next, key)} IS ${member(read, key)}`;
      const merged =
        `(SELECT '{' || group_concat(json_quote(k) || ':' || v, ',') || '}' FROM (` +
        `SELECT c.key AS k, ${member(current, 'c.key')} AS v FROM json_each(${current}) AS c WHERE c.key <> 'cookie' AND ${unchanged('c.key')} ` +
        `UNION ALL SELECT n.key, ${member(next, 'n.key')} FROM json_each(${next}) AS n WHERE n.key = 'cookie' OR NOT (${unchanged('n.key')})))`;
      return [
        `${sess} = excluded.${sess}`,
        `${sess} = CASE WHEN cur.${expire} > ${now} AND ${live} AND ${current} <> ${read} COLLATE BINARY ` +
          `AND json_valid(${current}) AND substr(${current}, 1, 1) = '{' AND json_valid(${read}) ` +
          `AND ${plainKeys(current)} AND ${plainKeys(next)} ` +
          `THEN COALESCE(${merged}, '{}') ELSE excluded.${sess} END`,
      ];
    },
    bind: (diff) => [diff.read],
  };
}

function mysql(model: SessionModel, live: string): Form {
  const { sess, expire, sessKind } = model.shape;
  // A JSON column holds valid JSON (MySQL's is binary, MariaDB's checked): only its type is asked.
  // Text may hold anything: valid JSON that opens with a brace is an object, and costs one parse.
  const object = sessKind === 'json' ? `JSON_TYPE(${sess}) = 'OBJECT'` : `JSON_VALID(${sess}) AND LEFT(${sess}, 1) = '{'`;
  return {
    needs: 'keys',
    // JSON_REMOVE takes the removed keys out (where there are any), JSON_SET writes each changed
    // one whole: JSON_EXTRACT(?, '$') makes the bound text a JSON value, nulls included (a merge
    // patch would drop keys set to null, and MariaDB's leaves some in place). A path the server
    // cannot read in the connection's character set makes JSON_SET NULL: that set writes whole.
    // MySQL and MariaDB read a quoted path's escapes as JSON does: every key merges.
    arity: pathArity,
    splice(now, first, arity) {
      const { removed, set, removals, read } = pathPlaceholders(first, arity, (value) => `JSON_EXTRACT(${value}, '$')`);
      const base = removals === 0 ? sess : `JSON_REMOVE(${sess}, ${removed})`;
      // Bytes, not the column's collation (which may fold case): another character set never matches, and merges.
      const changed = read === undefined ? '' : `CAST(${sess} AS BINARY) <> CAST(${read} AS BINARY) AND `;
      return [
        `VALUES(${sess}), ${sess})`,
        `CASE WHEN ${expire} > ${now} AND ${live} AND ${changed}${object} THEN COALESCE(JSON_SET(${base}, ${set}), VALUES(${sess})) ELSE VALUES(${sess}) END, ${sess})`,
      ];
    },
    bind: pathBind,
  };
}

/**
 * The merging upserts of a store, or undefined where `set` must write whole: a dialect without
 * these JSON functions, a sealed (encrypted) value, or a serializer other than JSON.
 */
export function mergeSqlFor(
  name: DialectName,
  dialect: Dialect,
  model: SessionModel,
  options: { encrypted: boolean; jsonText: boolean; sessType: string },
): MergeSql | undefined {
  if (options.encrypted || (model.shape.sessKind === 'text' && !options.jsonText)) return undefined;
  const form =
    name === 'postgres' ? postgres(model, dialect.live(model.shape, 'cur'), options.sessType)
    : name === 'sqlite' ? sqlite(model, dialect.live(model.shape, 'cur'))
    : name === 'mysql' || name === 'mariadb' ? mysql(model, dialect.live(model.shape))
    : undefined;
  if (form === undefined) return undefined;
  // `now` as the upsert compares it with `expire`: in that column's own form.
  const time = model.expireForm ? (placeholder: string) => model.expireForm!.write(placeholder) : (placeholder: string) => dialect.time(placeholder);
  // By upsert text, then by arity: the texts are the statements' own strings, whose hashes V8 keeps.
  const forms = new Map<string, Map<number, string | undefined>>();
  let count = 0;
  return {
    needs: form.needs,
    statement(whole, extraCount, diff) {
      const arity = form.arity(diff);
      if (arity === undefined) return undefined;
      let byArity = forms.get(whole);
      if (byArity === undefined) {
        byArity = new Map();
        if (count < MAX_FORMS) forms.set(whole, byArity);
      }
      let sql = byArity.get(arity);
      if (sql === undefined && !byArity.has(arity)) {
        // Bind order of the upsert: sid, sess, expire, the extras, now; the merge's values follow.
        const [from, to] = form.splice(time(`$${extraCount + 4}`), extraCount + 5, arity);
        const at = whole.indexOf(from);
        // The text to replace must be there exactly once; otherwise this upsert writes whole.
        sql = at < 0 || whole.indexOf(from, at + 1) >= 0 ? undefined : whole.slice(0, at) + to + whole.slice(at + from.length);
        if (count < MAX_FORMS) {
          byArity.set(arity, sql);
          count++;
        }
      }
      return sql === undefined ? undefined : { sql, bind: form.bind(diff, arity) };
    },
  };
}
