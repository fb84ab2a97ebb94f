import type { Dialect, TableShape, UpsertShape } from './dialect.js';
import { defaultColumnTypes, defaultLive, identity } from './dialect.js';

/**
 * Databases whose single-statement upsert is MERGE: Microsoft SQL Server, Db2, Oracle, Snowflake.
 * No server of these runs in this project's tests: the SQL is standard MERGE, per dialect only
 * where the grammar requires it.
 */
function mergeDialect(options: {
  /** What follows the source row's SELECT list (Oracle's `FROM dual`). */
  from?: string;
  /** Table hint that makes MERGE take the key lock before reading (SQL Server). */
  hint?: string;
  terminator?: string;
  textMarker?: string;
  live?: (shape: TableShape, qualifier?: string) => string;
}): Dialect {
  const live = options.live ?? defaultLive;
  return {
    columnTypes: defaultColumnTypes,
    time: identity,
    timeValue: (ms) => new Date(ms),
    count: 'COUNT(*)',
    textMarker: options.textMarker ?? '',
    jsonMarker: 'null',
    live,
    upsert(shape: TableShape, { columns, values, keep, now }: UpsertShape) {
      const source = columns.map((column, i) => `${values[i]} AS ${column}`).join(', ');
      const updates = columns.filter((column) => !keep.has(column)).map((column) => `cur.${column} = src.${column}`);
      return (
        `MERGE INTO ${shape.table}${options.hint ?? ''} cur USING (SELECT ${source}${options.from ?? ''}) src ` +
        `ON (cur.${shape.sid} = src.${shape.sid}) ` +
        `WHEN MATCHED AND (${live(shape, 'cur')} OR cur.${shape.expire} <= ${now}) THEN UPDATE SET ${updates.join(', ')} ` +
        `WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((column) => `src.${column}`).join(', ')})` +
        (options.terminator ?? '')
      );
    },
    pruneBatch: () => undefined,
    pruneBatchSize: 0,
  };
}

export const mssql = mergeDialect({ hint: ' WITH (HOLDLOCK)', terminator: ';' });
export const db2 = mergeDialect({ from: ' FROM SYSIBM.SYSDUMMY1' });
// Oracle stores '' as NULL, so its marker is one space, and a CLOB cannot be compared with `<>`.
export const oracle = mergeDialect({
  from: ' FROM dual',
  textMarker: ' ',
  live: (shape, qualifier) => `LENGTH(${qualifier ? `${qualifier}.` : ''}${shape.sess}) > 1`,
});
export const snowflake = mergeDialect({});
