/**
 * Every SQL statement of the store with its bound values: each builder takes an operation's inputs
 * and returns `{ sql, bind }`, so the text and the order of its placeholders live in one place.
 * The texts are built once per store from the model and the dialect (an upsert once per list of
 * extra columns); values are always bound ($1, $2, …), never in the text, so they stay out of what
 * Sequelize's `logging` shows. No `$` appears in the text except as a placeholder: Sequelize v6
 * reads one inside a string literal as a parameter too. Placeholders are numbered in their order
 * of first appearance: v7's SQLite binds by that order.
 */
import type { Dialect } from './dialects/index.js';
import { describe, InvalidInputError } from './errors.js';
import { toMs } from './expiry.js';
import type { SidKey } from './crypto.js';
import { DATE_TYPES, type SessionModel } from './model.js';
import type { Diff } from './merge.js';
import type { MergeSql } from './merge-sql.js';
import { UNSAFE_IDENTIFIER, type ExtraValues } from './options.js';

/** How long a destroyed session's marker row blocks a `set` or `touch` that was already in flight. */
export const MARKER_LIFE_MS = 60 * 60_000;

/** One statement, ready to run. */
export interface Statement {
  readonly sql: string;
  readonly bind: unknown[];
}

export interface Statements {
  /** Rows of { s: sess, e: expire } of the live, young session under `key`. */
  get(key: string, now: number): Statement;
  /**
   * The upsert of a session, encoded as `sess`, with the extra columns `extras` fills (throws on an
   * unknown one). With `merge`'s diff of this set's read, its merging form where there is one.
   */
  set(key: string, sess: string, expire: number, now: number, extras?: ExtraValues, diff?: Diff): Statement;
  /**
   * What `set` needs to merge into the row (`merge: true` on a table and dialect that allow it):
   * the keys changed since the read, or the read's text alone; undefined: it writes whole.
   */
  readonly merges: MergeSql['needs'] | undefined;
  /**
   * Moves a live session's expiry to `expire`; with `touchAfter` > 0, only when that moves it later
   * by at least the window or moves it earlier (a shortened cookie always lands).
   */
  touch(key: string, expire: number, now: number, touchAfter: number): Statement;
  /** Leaves a destroy marker in the row, which blocks a `set` or `touch` already in flight. */
  destroy(key: string, now: number): Statement;
  /** Rows of { k: sid, s: sess, e: expire }. */
  all(now: number): Statement;
  /** One row { n }: the live sessions. */
  length(now: number): Statement;
  clear(): Statement;
  /** Deletes expired rows: at most `limit` of them, or all at once when `limit` is undefined. */
  prune(now: number, limit?: number): Statement;
  /** One row { n }: the expired rows (sessions and markers alike), what the next prune removes. */
  expired(now: number): Statement;
  /**
   * Marks destroyed every live session whose extra columns match `where`, except the one whose id
   * is `options.except` (its row key by `key`); undefined when `where` can match no row (an empty
   * list). Throws an {@link InvalidInputError} on bad input.
   */
  destroyWhere(where: unknown, options: unknown, now: number, key: SidKey): Statement | undefined;
  /** Rows of the first prune batch; undefined where the dialect can only delete every expired row at once. */
  readonly pruneBatchSize: number | undefined;
  /** From now on, `get` waits for other nodes' writes (a multi-primary cluster). */
  waitForOtherNodes(causal: (select: string) => string): void;
}

/** An extra attribute `set` and `destroyWhere` may name, resolved once per store. */
interface ExtraColumn {
  readonly quoted: string;
  readonly isDate: boolean;
}

/**
 * With `absolute` (ms), reads and touches also require the row to be younger than a bound cutoff,
 * passed as the statement's last parameter. With `merging`, a set given a diff patches the row.
 */
export function buildStatements(
  dialect: Dialect,
  model: SessionModel,
  quote: (name: string) => string,
  absolute: number | undefined,
  merging?: MergeSql,
): Statements {
  const { shape, info } = model;
  const { table, sid, sess, expire } = shape;
  const t = (placeholder: string) => dialect.time(placeholder);
  const time = (ms: number) => dialect.timeValue(ms);
  // `expire` may hold another form than the dialect's timestamp (seconds, local time): its own conversion.
  const form = model.expireForm;
  const te = form ? (placeholder: string) => form.write(placeholder) : t;
  const e = form ? form.read(expire) : expire;
  const live = dialect.live(shape);
  const marker = `'${shape.sessKind === 'json' ? dialect.jsonMarker : shape.textMarker}'`;
  const createdAt = info.createdAt === undefined ? undefined : quote(info.createdAt);
  const updatedAt = info.updatedAt === undefined ? undefined : quote(info.updatedAt);
  const touchedAt = updatedAt ? `, ${updatedAt} = ${t('$2')}` : '';
  const young = absolute !== undefined && createdAt !== undefined;
  const age = absolute ?? 0;
  const youngerThan = (placeholder: string) => (young ? ` AND ${createdAt} > ${t(placeholder)}` : '');

  const columns = new Map<string, ExtraColumn>();
  for (const attribute of info.attributes.values()) {
    if (model.reserved.has(attribute.name) || UNSAFE_IDENTIFIER.test(attribute.column)) continue;
    columns.set(attribute.name, { quoted: quote(attribute.column), isDate: DATE_TYPES.has(attribute.type) });
  }
  const bindValue = (column: ExtraColumn, value: unknown, name: string): unknown => {
    if (value === undefined) return null;
    if (column.isDate && value !== null) {
      const ms = toMs(value);
      if (Number.isNaN(ms)) throw new InvalidInputError('ERR_INVALID_ARGUMENT', `\`${name}\` is a date column, and its value is not a valid date`);
      return time(ms);
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) return JSON.stringify(value);
    return value;
  };

  const upserts = new Map<string, string>();
  /** The upsert for this list of extra attributes, built once per list. */
  function upsert(extraAttributes: readonly string[]): string {
    const key = extraAttributes.join('\u0000');
    let sql = upserts.get(key);
    if (sql !== undefined) return sql;
    // Bind order: $1 sid, $2 sess, $3 expire, then the extras in the order given, then now; the
    // timestamps columns come last so that placeholders first appear in ascending order.
    const names = [sid, sess, expire];
    const values = ['$1', '$2', te('$3')];
    const keep = new Set([sid]);
    extraAttributes.forEach((name, i) => {
      const column = columns.get(name)!;
      names.push(column.quoted);
      values.push(column.isDate ? t(`$${i + 4}`) : `$${i + 4}`);
    });
    const nowPlaceholder = `$${extraAttributes.length + 4}`;
    if (createdAt) {
      names.push(createdAt);
      values.push(t(nowPlaceholder));
      keep.add(createdAt);
    }
    if (updatedAt) {
      names.push(updatedAt);
      values.push(t(nowPlaceholder));
    }
    sql = dialect.upsert(shape, { columns: names, values, keep, now: te(nowPlaceholder) });
    upserts.set(key, sql);
    return sql;
  }
  const plainSet = upsert([]);

  const batches = dialect.pruneBatches;
  const pruneTexts = new Map<number, string>();
  const pruneBatch = (limit: number) => {
    let sql = pruneTexts.get(limit);
    if (sql === undefined) pruneTexts.set(limit, (sql = batches!.statement(shape, te('$1'), limit)));
    return sql;
  };

  let getSql = `SELECT ${sess} AS s, ${e} AS e FROM ${table} WHERE ${sid} = $1 AND ${expire} > ${te('$2')}${youngerThan('$3')}`;
  const allSql = `SELECT ${sid} AS k, ${sess} AS s, ${e} AS e FROM ${table} WHERE ${expire} > ${te('$1')}${youngerThan('$2')}`;
  const lengthSql = `SELECT ${dialect.count} AS n FROM ${table} WHERE ${expire} > ${te('$1')}${youngerThan('$2')} AND ${live}`;
  const touchSql = `UPDATE ${table} SET ${expire} = ${te('$1')}${touchedAt} WHERE ${expire} > ${te('$2')} AND ${sid} = $3${youngerThan('$4')} AND ${live}`;
  const touchAfterSql =
    `UPDATE ${table} SET ${expire} = ${te('$1')}${touchedAt} ` +
    `WHERE ${expire} > ${te('$2')} AND ${sid} = $3 AND (${expire} <= ${te('$4')} OR ${expire} > ${te('$1')})${youngerThan('$5')} AND ${live}`;
  const destroySql = updatedAt
    ? `UPDATE ${table} SET ${sess} = ${marker}, ${expire} = ${te('$1')}, ${updatedAt} = ${t('$2')} WHERE ${sid} = $3`
    : `UPDATE ${table} SET ${sess} = ${marker}, ${expire} = ${te('$1')} WHERE ${sid} = $2`;
  const clearSql = `DELETE FROM ${table}`;
  const pruneAllSql = `DELETE FROM ${table} WHERE ${expire} < ${te('$1')}`;
  const expiredSql = `SELECT ${dialect.count} AS n FROM ${table} WHERE ${expire} < ${te('$1')}`;
  // destroyWhere: $1 the marker's expiry, $2 now, then the cutoff, the values and the excepted key.
  const destroyWhereHead = `UPDATE ${table} SET ${sess} = ${marker}, ${expire} = ${te('$1')}${touchedAt} WHERE ${expire} > ${te('$2')} AND ${live}`;

  return Object.freeze({
    get: (key: string, now: number) =>
      ({ sql: getSql, bind: young ? [key, time(now), time(now - age)] : [key, time(now)] }),
    set(key: string, encoded: string, expiry: number, now: number, extras?: ExtraValues, diff?: Diff) {
      if (extras === undefined && diff === undefined) return { sql: plainSet, bind: [key, encoded, time(expiry), time(now)] };
      const bind: unknown[] = [key, encoded, time(expiry)];
      const names = extras === undefined ? [] : Object.keys(extras);
      for (const name of names) {
        const column = columns.get(name);
        if (column === undefined) {
          throw new InvalidInputError('ERR_EXTRAS_FAILED', `\`extras\` set \`${name}\`, which is not an attribute of the model other than sid, sess and expire`);
        }
        bind.push(bindValue(column, extras![name], name));
      }
      bind.push(time(now));
      const whole = names.length === 0 ? plainSet : upsert(names);
      // The merging form's own values follow the upsert's; where there is none, the set writes whole.
      const merged = diff === undefined ? undefined : merging?.statement(whole, names.length, diff);
      if (merged === undefined) return { sql: whole, bind };
      for (const value of merged.bind) bind.push(value);
      return { sql: merged.sql, bind };
    },
    merges: merging?.needs,
    touch(key: string, expiry: number, now: number, touchAfter: number) {
      const bind = touchAfter > 0 ? [time(expiry), time(now), key, time(expiry - touchAfter)] : [time(expiry), time(now), key];
      if (young) bind.push(time(now - age));
      return { sql: touchAfter > 0 ? touchAfterSql : touchSql, bind };
    },
    destroy(key: string, now: number) {
      const until = time(now + MARKER_LIFE_MS);
      return { sql: destroySql, bind: updatedAt ? [until, time(now), key] : [until, key] };
    },
    all: (now: number) => ({ sql: allSql, bind: young ? [time(now), time(now - age)] : [time(now)] }),
    length: (now: number) => ({ sql: lengthSql, bind: young ? [time(now), time(now - age)] : [time(now)] }),
    clear: () => ({ sql: clearSql, bind: [] }),
    prune: (now: number, limit?: number) => ({ sql: limit === undefined ? pruneAllSql : pruneBatch(limit), bind: [time(now)] }),
    expired: (now: number) => ({ sql: expiredSql, bind: [time(now)] }),
    destroyWhere(where: unknown, options: unknown, now: number, key: SidKey) {
      if (typeof where !== 'object' || where === null || Array.isArray(where) || Object.keys(where).length === 0) {
        throw new InvalidInputError('ERR_INVALID_ARGUMENT', `Expected \`where\` to be an object naming at least one column, got ${describe(where)}`);
      }
      if (typeof options !== 'object' || options === null) {
        throw new InvalidInputError('ERR_INVALID_ARGUMENT', `Expected the options of destroyWhere to be an object, got ${describe(options)}`);
      }
      const { except } = options as { except?: unknown };
      if (except !== undefined && typeof except !== 'string') {
        throw new InvalidInputError('ERR_INVALID_ARGUMENT', `Expected \`except\` to be a session id (string), got ${describe(except)}`);
      }
      const bind: unknown[] = [time(now + MARKER_LIFE_MS), time(now)];
      let conditions = '';
      // A session past expiration.absolute is gone already (get, all and length skip it): not counted as removed.
      if (young) {
        bind.push(time(now - age));
        conditions += youngerThan(`$${bind.length}`);
      }
      for (const [name, value] of Object.entries(where)) {
        const column = columns.get(name);
        if (column === undefined) {
          throw new InvalidInputError('ERR_INVALID_ARGUMENT', `\`where\` names \`${name}\`, which is not an extra attribute of the model`);
        }
        if (value === null || value === undefined) {
          conditions += ` AND ${column.quoted} IS NULL`;
          continue;
        }
        const values: unknown[] = Array.isArray(value) ? value : [value];
        if (values.length === 0) return undefined;
        const placeholders = values.map((item) => {
          bind.push(bindValue(column, item, name));
          return column.isDate ? t(`$${bind.length}`) : `$${bind.length}`;
        });
        conditions += placeholders.length === 1 ? ` AND ${column.quoted} = ${placeholders[0]}` : ` AND ${column.quoted} IN (${placeholders.join(', ')})`;
      }
      if (except !== undefined) {
        bind.push(key(except));
        conditions += ` AND ${sid} <> $${bind.length}`;
      }
      return { sql: destroyWhereHead + conditions, bind };
    },
    pruneBatchSize: batches?.firstSize,
    waitForOtherNodes(causal: (select: string) => string) {
      getSql = causal(getSql);
    },
  });
}

