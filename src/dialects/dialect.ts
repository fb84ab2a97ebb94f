/**
 * What a dialect is: the shared defaults, and {@link defineDialect}, through which each database
 * declares only how it differs from them (column types, upsert, batched prune, time binding,
 * markers). The rest of the store never branches on a dialect's name.
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
  /**
   * A condition true when the row's `sess` is a session, false when it is a destroy marker. Every
   * statement reaches it through here, the upserts as `this.live`.
   */
  live(shape: TableShape, qualifier?: string): string;
  /**
   * One statement that inserts the row, or replaces it unless it is a destroy marker that has not
   * lapsed yet (a set that was in flight when the session was destroyed must not bring it back).
   */
  upsert(shape: TableShape, upsert: UpsertShape): string;
  /**
   * Deleting expired rows in batches that use the `expire` index: the statement deleting at most
   * `limit` rows whose expiry is before `now`, and the rows of the first batch (later ones are
   * sized to take 25–50 ms each). Absent where the dialect can only delete them all at once.
   */
  readonly pruneBatches?: PruneBatches;
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
  /**
   * The dialect as an instance whose Sequelize `timezone` is `zone` uses it, where the zone changes
   * how times are bound; undefined where it does not.
   */
  inZone?(zone: string): Dialect | undefined;
}

export interface PruneBatches {
  statement(shape: TableShape, now: string, limit: number): string;
  readonly firstSize: number;
}

export interface CausalReads {
  /** A SELECT whose first row's first column is truthy when reads must wait; a failure means no. */
  readonly probe: string;
  causal(select: string): string;
}

const qualified = (shape: TableShape, qualifier?: string) => (qualifier ? `${qualifier}.${shape.sess}` : shape.sess);

/**
 * What every dialect does unless it says otherwise: placeholders and Dates bound as they are,
 * a plain COUNT(*), markers '' and JSON `null`, `INSERT … ON CONFLICT DO UPDATE … WHERE` (PostgreSQL,
 * SQLite), and no bounded delete.
 */
const DEFAULTS: Dialect = {
  columnTypes: {
    sid: (types) => types.STRING(255),
    sess: (types) => types.TEXT,
  },
  time: (placeholder) => placeholder,
  timeValue: (ms) => new Date(ms),
  count: 'COUNT(*)',
  textMarker: '',
  jsonMarker: 'null',
  live(shape, qualifier) {
    const column = qualified(shape, qualifier);
    return shape.sessKind === 'json' ? `${column} IS NOT NULL AND ${column} <> 'null'` : `${column} <> '${shape.textMarker}'`;
  },
  upsert(shape, { columns, values, keep, now }) {
    const updates = columns.filter((column) => !keep.has(column)).map((column) => `${column} = excluded.${column}`);
    return (
      `INSERT INTO ${shape.table} AS cur (${columns.join(', ')}) VALUES (${values.join(', ')}) ` +
      `ON CONFLICT (${shape.sid}) DO UPDATE SET ${updates.join(', ')} ` +
      `WHERE ${this.live(shape, 'cur')} OR cur.${shape.expire} <= ${now}`
    );
  },
};

/** A dialect from its differences with the defaults; methods see the whole dialect as `this`. */
export function defineDialect(differences: Partial<Dialect> & ThisType<Dialect>): Dialect {
  return Object.freeze({ ...DEFAULTS, ...differences });
}

/** The `sess` column, qualified by a table alias when one is given. */
export { qualified as sessColumn };
