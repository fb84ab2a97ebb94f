/**
 * Every SQL statement of the store, built once per store from the model and the dialect. Each
 * carries the sid, the session and every other value as bound parameters ($1, $2, …), never in
 * its text, so they stay out of what Sequelize's `logging` shows. No `$` appears in the text
 * except as a placeholder: Sequelize v6 reads one inside a string literal as a parameter too.
 * Placeholders are numbered in their order of first appearance: v7's SQLite binds by that order.
 */
import type { Dialect, TableShape } from './dialects/index.js';
import { DATE_TYPES, type SessionModel } from './model.js';
import { UNSAFE_IDENTIFIER } from './options.js';

/** How long a destroyed session's marker row blocks a `set` or `touch` that was already in flight. */
export const MARKER_LIFE_MS = 60 * 60_000;

export interface Statements {
  /** $1 sid, $2 now (, $3 absolute cutoff) → rows of { s: sess, e: expire }. */
  readonly get: string;
  /** $1 now → rows of { k: sid, s: sess, e: expire }. */
  readonly all: string;
  /** $1 now → one row { n }. */
  readonly length: string;
  /** $1 new expiry, $2 now, $3 sid. Never touches an expired row or a destroy marker. */
  readonly touch: string;
  /**
   * The same, writing only when it moves the stored expiry later by at least the `touchAfter` window
   * (stored at or before $4) or moves it earlier (stored after $1): a shortened cookie always lands.
   */
  readonly touchAfter: string;
  /** $1 the marker's expiry, then $2 now when the model has `updatedAt`, then the sid. */
  readonly destroy: string;
  readonly clear: string;
  /** $1 now: every expired row at once. */
  readonly pruneAll: string;
  /** $1 now, deleting at most `limit` rows; undefined where the dialect has no bounded delete. */
  pruneBatch(limit: number): string | undefined;
  /** The marker `destroy` writes in the `sess` column, as the text of a SQL literal. */
  readonly markerLiteral: string;
  readonly live: string;
  /** The upsert of `set` for this list of extra columns (attribute names), built once per list. */
  upsert(extraAttributes: readonly string[]): string;
  /** The bind values of a time, in the form the dialect compares right. */
  time(ms: number): unknown;
  /** The SQL of a bound time where it is written to or compared with `expire`, in that column's form. */
  expireTime(placeholder: string): string;
  /** For destroyWhere: the condition `column = $i` of an extra attribute, or undefined when it is unknown. */
  column(attribute: string): { quoted: string; isDate: boolean } | undefined;
  readonly shape: TableShape;
  readonly dialect: Dialect;
  readonly setsCreatedAt: boolean;
  readonly setsUpdatedAt: boolean;
}

/**
 * With `absolute`, reads and touches also require the row to be younger than a bound cutoff,
 * passed as the statement's last parameter.
 */
export function buildStatements(dialect: Dialect, model: SessionModel, quote: (name: string) => string, absolute: boolean): Statements {
  const { shape, info } = model;
  const { table, sid, sess, expire } = shape;
  const t = (placeholder: string) => dialect.time(placeholder);
  // `expire` may hold another form than the dialect's timestamp (seconds, local time): its own conversion.
  const form = model.expireForm;
  const te = form ? (placeholder: string) => form.write(placeholder) : t;
  const e = form ? form.read(expire) : expire;
  const live = dialect.live(shape);
  const marker = shape.sessKind === 'json' ? dialect.jsonMarker : shape.textMarker;
  const markerLiteral = `'${marker}'`;
  const createdAt = info.createdAt === undefined ? undefined : quote(info.createdAt);
  const updatedAt = info.updatedAt === undefined ? undefined : quote(info.updatedAt);
  const touchedAt = updatedAt ? `, ${updatedAt} = ${t('$2')}` : '';
  const young = (placeholder: string) => (absolute && createdAt ? ` AND ${createdAt} > ${t(placeholder)}` : '');

  const dateColumns = new Set<string>();
  for (const attribute of info.attributes.values()) if (DATE_TYPES.has(attribute.type)) dateColumns.add(attribute.name);

  const upserts = new Map<string, string>();
  function upsert(extraAttributes: readonly string[]): string {
    const key = extraAttributes.join('\u0000');
    let sql = upserts.get(key);
    if (sql !== undefined) return sql;
    // Bind order: $1 sid, $2 sess, $3 expire, then the extras in the order given, then now; the
    // timestamps columns come last so that placeholders first appear in ascending order.
    const columns = [sid, sess, expire];
    const values = ['$1', '$2', te('$3')];
    const keep = new Set([sid]);
    extraAttributes.forEach((name, i) => {
      const attribute = info.attributes.get(name)!;
      columns.push(quote(attribute.column));
      values.push(dateColumns.has(name) ? t(`$${i + 4}`) : `$${i + 4}`);
    });
    const nowPlaceholder = `$${extraAttributes.length + 4}`;
    const now = t(nowPlaceholder);
    if (createdAt) {
      columns.push(createdAt);
      values.push(now);
      keep.add(createdAt);
    }
    if (updatedAt) {
      columns.push(updatedAt);
      values.push(now);
    }
    sql = dialect.upsert(shape, { columns, values, keep, now: te(nowPlaceholder) });
    upserts.set(key, sql);
    return sql;
  }

  const pruneBatches = new Map<number, string | undefined>();
  const pruneBatch = (limit: number) => {
    if (!pruneBatches.has(limit)) pruneBatches.set(limit, dialect.pruneBatch(shape, te('$1'), limit));
    return pruneBatches.get(limit);
  };
  return Object.freeze({
    get: `SELECT ${sess} AS s, ${e} AS e FROM ${table} WHERE ${sid} = $1 AND ${expire} > ${te('$2')}${young('$3')}`,
    all: `SELECT ${sid} AS k, ${sess} AS s, ${e} AS e FROM ${table} WHERE ${expire} > ${te('$1')}${young('$2')}`,
    length: `SELECT ${dialect.count} AS n FROM ${table} WHERE ${expire} > ${te('$1')}${young('$2')} AND ${live}`,
    // Placeholders appear in the text in ascending order: v7's SQLite binds an array by order of appearance.
    touch: `UPDATE ${table} SET ${expire} = ${te('$1')}${touchedAt} WHERE ${expire} > ${te('$2')} AND ${sid} = $3${young('$4')} AND ${live}`,
    touchAfter:
      `UPDATE ${table} SET ${expire} = ${te('$1')}${touchedAt} ` +
      `WHERE ${expire} > ${te('$2')} AND ${sid} = $3 AND (${expire} <= ${te('$4')} OR ${expire} > ${te('$1')})${young('$5')} AND ${live}`,
    destroy: updatedAt
      ? `UPDATE ${table} SET ${sess} = ${markerLiteral}, ${expire} = ${te('$1')}, ${updatedAt} = ${t('$2')} WHERE ${sid} = $3`
      : `UPDATE ${table} SET ${sess} = ${markerLiteral}, ${expire} = ${te('$1')} WHERE ${sid} = $2`,
    clear: `DELETE FROM ${table}`,
    pruneAll: `DELETE FROM ${table} WHERE ${expire} < ${te('$1')}`,
    pruneBatch,
    markerLiteral,
    live,
    upsert,
    time: (ms: number) => dialect.timeValue(ms),
    expireTime: te,
    column(attribute: string) {
      const found = info.attributes.get(attribute);
      if (!found || model.reserved.has(attribute) || UNSAFE_IDENTIFIER.test(found.column)) return undefined;
      return { quoted: quote(found.column), isDate: dateColumns.has(attribute) };
    },
    shape,
    dialect,
    setsCreatedAt: createdAt !== undefined,
    setsUpdatedAt: updatedAt !== undefined,
  });
}
