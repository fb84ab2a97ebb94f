import type { Dialect } from './dialect.js';
import { defaultColumnTypes, defaultLive, identity } from './dialect.js';

/** SQLite: the same upsert as PostgreSQL; small prune batches, since a delete blocks every reader. */
export const sqlite: Dialect = {
  columnTypes: defaultColumnTypes,
  time: identity,
  // SQLite compares dates as text: bind the exact text Sequelize itself writes (UTC, milliseconds),
  // so rows written by the store and by Sequelize's models compare right. A bound Date would become a number.
  timeValue: (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ' +00:00'),
  count: 'COUNT(*)',
  textMarker: '',
  jsonMarker: 'null',
  live: defaultLive,
  upsert(shape, { columns, values, keep, now }) {
    const updates = columns.filter((column) => !keep.has(column)).map((column) => `${column} = excluded.${column}`);
    return (
      `INSERT INTO ${shape.table} AS cur (${columns.join(', ')}) VALUES (${values.join(', ')}) ` +
      `ON CONFLICT (${shape.sid}) DO UPDATE SET ${updates.join(', ')} ` +
      `WHERE ${defaultLive(shape, 'cur')} OR cur.${shape.expire} <= ${now}`
    );
  },
  pruneBatch(shape, now, limit) {
    return `DELETE FROM ${shape.table} WHERE rowid IN (SELECT rowid FROM ${shape.table} WHERE ${shape.expire} < ${now} LIMIT ${limit})`;
  },
  pruneBatchSize: 2_000,
  epochSeconds: {
    write: (placeholder) => `CAST(ROUND((julianday(${placeholder}) - 2440587.5) * 86400) AS INTEGER)`,
    read: (column) => `strftime('%Y-%m-%d %H:%M:%f +00:00', ${column}, 'unixepoch')`,
  },
  // Text compares right only against text of the same form: write and compare knex's form there.
  isoText: {
    write: (placeholder) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${placeholder})`,
    read: (column) => column,
  },
};
