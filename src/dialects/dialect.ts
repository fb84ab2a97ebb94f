/**
 * What differs between databases, declared once per dialect: the default table's column types,
 * the single-statement upsert, the batched prune and how a destroyed session is marked. The rest
 * of the store never branches on a dialect's name.
 */

/** The quoted names of the session table, as they go into SQL. */
export interface TableShape {
  /** The table, schema-qualified when it has a schema. */
  readonly table: string;
  readonly sid: string;
  readonly sess: string;
  readonly expire: string;
  /** JSON/JSONB `sess` columns hold JSON; TEXT/STRING ones hold the serializer's text. */
  readonly sessKind: 'text' | 'json';
  /** The `sess` value of a destroy marker in a text column: the dialect's, or `null` in a table shared with another store. */
  readonly textMarker: string;
}

/**
 * How an `expire` column that is not the dialect's own timestamp is written and read: `write`
 * turns a bound time (the dialect's {@link Dialect.timeValue}) into the column's form, `read`
 * turns the column back into a timestamp the driver returns like any other.
 */
export interface ExpireForm {
  write(placeholder: string): string;
  read(column: string): string;
}

/** One `set`: the columns written (quoted) with their value expressions, and the ones a conflict keeps. */
export interface UpsertShape {
  /** Every column inserted; the first is the sid. */
  readonly columns: readonly string[];
  /** The value of each column, a bind placeholder possibly wrapped by {@link Dialect.time}. */
  readonly values: readonly string[];
  /** Columns kept on conflict (the sid, a creation timestamp). */
  readonly keep: ReadonlySet<string>;
  /** The expression of "now", which decides whether a destroy marker has lapsed. */
  readonly now: string;
}

/** Column types of the created table, given the instance's DataTypes. */
export interface ColumnTypes {
  sid(types: Record<string, any>): unknown;
  sess(types: Record<string, any>): unknown;
}

export interface Dialect {
  readonly columnTypes: ColumnTypes;
  /**
   * A point in time goes into SQL as `time(placeholder)` bound to `timeValue(ms)`: each database
   * gets the form that compares right whatever Sequelize's `timezone` and the process's TZ are.
   */
  time(placeholder: string): string;
  timeValue(ms: number): unknown;
  /** COUNT(*) in a form every driver of the dialect returns intact. */
  readonly count: string;
  /** The `sess` value a destroy leaves behind, for a text column. */
  readonly textMarker: string;
  /** The `sess` value a destroy leaves behind, for a JSON column (JSON text). */
  readonly jsonMarker: string;
  /** A condition true when the row's `sess` is a session, false when it is a destroy marker. */
  live(shape: TableShape, qualifier?: string): string;
  /**
   * One statement that inserts the row, or replaces it unless it is a destroy marker that has not
   * lapsed yet (a set that was in flight when the session was destroyed must not bring it back).
   */
  upsert(shape: TableShape, upsert: UpsertShape): string;
  /**
   * One statement that deletes at most `limit` rows whose expiry is before `now`, using the `expire`
   * index; undefined when the dialect can only delete them all at once.
   */
  pruneBatch(shape: TableShape, now: string, limit: number): string | undefined;
  /** Rows of the first prune batch; later ones are sized to take 25–50 ms each. */
  readonly pruneBatchSize: number;
  /**
   * Where a server may apply other nodes' writes after answering (a multi-primary cluster): a
   * statement run once before the first operation that tells whether this one does, and the form
   * of a read that waits for them, still one statement.
   */
  readonly causalReads?: CausalReads;
  /** `expire` as whole seconds since the epoch (an integer column); undefined where not supported. */
  readonly epochSeconds?: ExpireForm;
  /** `expire` as a timestamp without time zone holding wall-clock time in `zone` (PostgreSQL). */
  localTime?(zone: string): ExpireForm;
  /** `expire` as ISO 8601 text with a `T` and a `Z`, as knex writes it (SQLite compares dates as text). */
  readonly isoText?: ExpireForm;
}

export interface CausalReads {
  /** A SELECT whose first row's first column is truthy when reads must wait; a failure means no. */
  readonly probe: string;
  causal(select: string): string;
}

/** The condition shared by most dialects: a text marker is the empty string, a JSON one is `null`. */
export function defaultLive(shape: TableShape, qualifier?: string): string {
  const column = qualifier ? `${qualifier}.${shape.sess}` : shape.sess;
  return shape.sessKind === 'json' ? `${column} IS NOT NULL AND ${column} <> 'null'` : `${column} <> '${shape.textMarker}'`;
}

export const identity = (placeholder: string): string => placeholder;

export const defaultColumnTypes: ColumnTypes = {
  sid: (types) => types.STRING(255),
  sess: (types) => types.TEXT,
};
