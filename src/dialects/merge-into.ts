/**
 * The differences of the databases whose single-statement upsert is MERGE: Microsoft SQL Server,
 * Db2, Oracle, Snowflake. No server of these runs in this project's tests (their statement texts
 * are pinned in test/unit/statements.test.ts): the SQL is standard MERGE, per dialect only where
 * the grammar requires it.
 */
import { defineDialect, type Dialect } from './dialect.js';

function mergeDialect(grammar: {
  /** What follows the source row's SELECT list (Oracle's `FROM dual`). */
  from?: string;
  /** Table hint that makes MERGE take the key lock before reading (SQL Server). */
  hint?: string;
  terminator?: string;
}, differences: Partial<Dialect> = {}): Dialect {
  return defineDialect({
    ...differences,
    upsert(shape, { columns, values, keep, now }) {
      const source = columns.map((column, i) => `${values[i]} AS ${column}`).join(', ');
      const updates = columns.filter((column) => !keep.has(column)).map((column) => `cur.${column} = src.${column}`);
      return (
        `MERGE INTO ${shape.table}${grammar.hint ?? ''} cur USING (SELECT ${source}${grammar.from ?? ''}) src ` +
        `ON (cur.${shape.sid} = src.${shape.sid}) ` +
        `WHEN MATCHED AND (${this.live(shape, 'cur')} OR cur.${shape.expire} <= ${now}) THEN UPDATE SET ${updates.join(', ')} ` +
        `WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((column) => `src.${column}`).join(', ')})` +
        (grammar.terminator ?? '')
      );
    },
  });
}

export const mssql = mergeDialect({ hint: ' WITH (HOLDLOCK)', terminator: ';' });
export const db2 = mergeDialect({ from: ' FROM SYSIBM.SYSDUMMY1' });
// Oracle stores '' as NULL, so its marker is one space, and a CLOB cannot be compared with `<>`.
export const oracle = mergeDialect(
  { from: ' FROM dual' },
  { textMarker: ' ', live: (shape, qualifier) => `LENGTH(${qualifier ? `${qualifier}.` : ''}${shape.sess}) > 1` },
);
export const snowflake = mergeDialect({});
