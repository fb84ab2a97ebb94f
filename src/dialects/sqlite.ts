/** SQLite's differences: dates bound as Sequelize's text, small prune batches (a delete blocks every reader). */
import { defineDialect } from './dialect.js';

export const sqlite = defineDialect({
  // SQLite compares dates as text: bind the exact text Sequelize itself writes (UTC, milliseconds),
  // so rows written by the store and by Sequelize's models compare right. A bound Date would become a number.
  timeValue: (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ' +00:00'),
  pruneBatches: {
    statement: (shape, now, limit) =>
      `DELETE FROM ${shape.table} WHERE rowid IN (SELECT rowid FROM ${shape.table} WHERE ${shape.expire} < ${now} LIMIT ${limit})`,
    firstSize: 2_000,
  },
  epochSeconds: {
    write: (placeholder) => `CAST(ROUND((julianday(${placeholder}) - 2440587.5) * 86400) AS INTEGER)`,
    read: (column) => `strftime('%Y-%m-%d %H:%M:%f +00:00', ${column}, 'unixepoch')`,
  },
  // Text compares right only against text of the same form: write and compare knex's form there.
  isoText: {
    write: (placeholder) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${placeholder})`,
    read: (column) => column,
  },
});
