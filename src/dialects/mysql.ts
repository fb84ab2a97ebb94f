/**
 * MySQL's and MariaDB's differences: times bound as the wall clock of Sequelize's `timezone` (or
 * through FROM_UNIXTIME in a named zone), ON DUPLICATE KEY UPDATE, ordered batches, Galera's causal reads.
 */
import { defineDialect, sessColumn, type Dialect } from './dialect.js';

/** 2038-01-19T03:14:07Z, the last second of a 32-bit TIMESTAMP, in ms. */
const LAST_UNIX_MS = 2_147_483_647_000;

/** Minutes east of UTC of a `timezone` such as '+05:30'; undefined for a named zone. */
function offsetMinutes(zone: string): number | undefined {
  const match = /^([+-])(\d{2}):([0-5]\d)$/.exec(zone);
  if (match === null) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/**
 * An instance whose `timezone` is a fixed offset writes every DATETIME as the wall clock at that
 * offset, as text (Sequelize formats its own values the same way). The server then only parses a
 * literal: no FROM_UNIXTIME, no DECIMAL arithmetic, no 2038 branch (about a tenth of a touch's
 * server time), and the value does not depend on the connection's time_zone.
 */
function atOffset(base: Dialect, zone: string): Dialect | undefined {
  const minutes = offsetMinutes(zone);
  if (minutes === undefined) return undefined;
  const shift = minutes * 60_000;
  // The cast types the value where it meets a column in CASE and IF as well as in comparisons.
  const time = (placeholder: string) => `CAST(${placeholder} AS DATETIME(6))`;
  return Object.freeze({
    ...base,
    time,
    // 'YYYY-MM-DD HH:MM:SS.mmm' (DATETIME's range ends with year 9999, where a wider year fails to cast, as before).
    timeValue: (ms: number) => new Date(ms + shift).toISOString().slice(0, 23).replace('T', ' '),
    epochSeconds: {
      // Seconds since the epoch of that wall clock, whatever the connection's zone: exact integer arithmetic.
      write: (placeholder: string) => `(ROUND(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${time(placeholder)}) / 1000000) - ${minutes * 60})`,
      read: base.epochSeconds!.read,
    },
    inZone: undefined,
  });
}

/** MySQL and MariaDB (either server, through the mysql or mariadb dialect). */
export const mysql: Dialect = defineDialect({
  columnTypes: {
    // Default collations fold case and ignore trailing spaces; bytes compare exactly on either server.
    // 1020 bytes hold 255 characters of any UTF-8.
    sid: () => 'VARBINARY(1020)',
    // A plain TEXT stops at 64 KB. The character set is explicit: a column inherits the server's
    // default, and a latin1 one cannot hold non-Latin text.
    sess: () => 'LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
  },
  // In a named zone (see `inZone` for offsets): FROM_UNIXTIME reads the session time zone that
  // Sequelize sets from its `timezone` option, the one its own DATETIME values are written in; the
  // mariadb driver would send a Date in UTC instead. The DECIMAL cast keeps the milliseconds exact
  // (mysql2 sends numbers as doubles). Past 2038, beyond MariaDB's FROM_UNIXTIME (an error in
  // strict mode), the time is counted from the epoch in that zone; IF evaluates only the branch it takes.
  time: (placeholder) => {
    const ms = `CAST(${placeholder} AS DECIMAL(20,0))`;
    return `IF(${ms} < ${LAST_UNIX_MS}, FROM_UNIXTIME(${ms} / 1000), DATE_ADD(FROM_UNIXTIME(0), INTERVAL ${ms} * 1000 MICROSECOND))`;
  },
  timeValue: (ms) => ms,
  // Through bound statements, v7's mysql dialect misreads BIGINT results; text arrives intact.
  count: 'CAST(COUNT(*) AS CHAR)',
  live(shape, qualifier) {
    const column = sessColumn(shape, qualifier);
    // MariaDB's JSON is LONGTEXT and MySQL's is binary JSON: JSON_TYPE reads both.
    return shape.sessKind === 'json' ? `JSON_TYPE(${column}) <> 'NULL'` : `${column} <> '${shape.textMarker}'`;
  },
  upsert(shape, { columns, values, keep, now }) {
    // ON DUPLICATE KEY UPDATE has no WHERE: each assignment carries the condition instead. MySQL
    // applies them left to right, each seeing the ones before: `sess` goes first, so once it is
    // replaced the condition holds for the rest too, and while a marker stands it holds for none.
    // The sid guard: ON DUPLICATE KEY fires on any unique key, and a user's unique extra column
    // (a userId, say) colliding with another session's row must not overwrite that session.
    const condition = `${shape.sid} = VALUES(${shape.sid}) AND (${this.live(shape)} OR ${shape.expire} <= ${now})`;
    const updated = columns.filter((column) => !keep.has(column));
    const ordered = [shape.sess, ...updated.filter((column) => column !== shape.sess)];
    const updates = ordered.map((column) => `${column} = IF(${condition}, VALUES(${column}), ${column})`);
    return (
      `INSERT INTO ${shape.table} (${columns.join(', ')}) VALUES (${values.join(', ')}) ` +
      `ON DUPLICATE KEY UPDATE ${updates.join(', ')}`
    );
  },
  pruneBatches: {
    statement: (shape, now, limit) => `DELETE FROM ${shape.table} WHERE ${shape.expire} < ${now} ORDER BY ${shape.expire} LIMIT ${limit}`,
    firstSize: 5_000,
  },
  // express-mysql-session's `expires int unsigned`, which it rounds to the nearest second.
  epochSeconds: {
    write: (placeholder) => `ROUND(CAST(${placeholder} AS DECIMAL(20,0)) / 1000)`,
    read: (column) => `IF(${column} < 2147483647, FROM_UNIXTIME(${column}), DATE_ADD(FROM_UNIXTIME(0), INTERVAL ${column} SECOND))`,
  },
  // A Galera node answers before it has applied what other nodes committed: a session written
  // through one node and read at once through another would be stale, a logout undone.
  // wsrep_sync_wait=1 makes the read wait for them; SET STATEMENT keeps it one statement. MySQL
  // and MariaDB without wsrep refuse the probe, and reads stay plain. As text, like `count`: v7's
  // mysql dialect reads a BIGINT with a text parser, which over mysql2's `execute` (binary
  // protocol) turns the 8-byte 1 into '\x00'.
  causalReads: {
    probe: 'SELECT CAST(@@global.wsrep_on AS CHAR) AS w',
    causal: (select) => `SET STATEMENT wsrep_sync_wait=1 FOR ${select}`,
  },
  inZone(zone) {
    return atOffset(this, zone);
  },
});
