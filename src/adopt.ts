/**
 * Adopting an existing table (SPEC §2.5): with no `model`, the store reads the table's columns
 * once, before the first operation, and builds its model and statements from what it finds, so
 * the tables of other session stores work as they are.
 */
import type { Dialect, ExpireForm, TableShape } from './dialects/index.js';
import { ConfigurationError } from './errors.js';
import { textMarkerOf, type SessionModel } from './model.js';
import { UNSAFE_IDENTIFIER, type ResolvedOptions } from './options.js';
import type { ModelLike, SequelizeCompat, SequelizeLike } from './sequelize-compat.js';

/** A column of the table, the same shape whatever the dialect and major. */
interface Column {
  readonly name: string;
  /** The SQL type in upper case, as the database names it: `TIMESTAMP WITHOUT TIME ZONE`, `INT(11) UNSIGNED`, … */
  readonly type: string;
  readonly allowNull: boolean;
  readonly hasDefault: boolean;
}

const JSON_TYPE = /^JSONB?\b/;
const TEXT_TYPE = /^(TEXT|TINYTEXT|MEDIUMTEXT|LONGTEXT|CLOB|NCLOB|CITEXT|VARCHAR|NVARCHAR|CHARACTER VARYING|CHAR|CHARACTER|STRING)\b/;
const INTEGER_TYPE = /^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT|NUMERIC|DECIMAL|NUMBER)\b/;
const DATE_TYPE = /^(TIMESTAMP|DATETIME|DATETIME2|DATETIMEOFFSET|DATE)\b/;
/** PostgreSQL's `timestamp` is without time zone unless it says otherwise. */
const LOCAL_TIMESTAMP = /^TIMESTAMP(\(\d\))?( WITHOUT TIME ZONE)?$/;
// `created` is the column the created model adds for expiration.absolute.
const CREATED_AT = /^(created_?at|created)$/i;
const UPDATED_AT = /^updated_?at$/i;
/** A time zone name or offset as PostgreSQL's TimeZone setting holds it; nothing that could end a literal. */
const ZONE = /^[A-Za-z0-9_+\-/:.]+$/;

const NO_TABLE = /No description found|does not exist|doesn't exist|no such table/i;

async function readColumns(sequelize: SequelizeLike, compat: SequelizeCompat, model: ModelLike): Promise<Column[] | undefined> {
  if (compat.dialect === 'sqlite') {
    // v7's describeTable cannot parse some valid DDL (knex's trailing `primary key (sid)`); the pragma reads any.
    const rows = (await sequelize.query(`PRAGMA table_info(${compat.quoteTable(model)})`, { ...compat.queryOptions, type: 'SELECT' })) as Array<{
      name: string; type: string; notnull: number; dflt_value: unknown; pk: number;
    }>;
    if (rows.length === 0) return undefined;
    return rows.map((row) => ({
      name: row.name,
      type: String(row.type).toUpperCase(),
      allowNull: row.notnull === 0,
      // An INTEGER PRIMARY KEY is the rowid: SQLite fills it.
      hasDefault: row.dflt_value !== null || (row.pk > 0 && /^INTEGER$/i.test(row.type)),
    }));
  }
  const queryInterface = compat.queryInterface as { describeTable(table: unknown): Promise<Record<string, Record<string, unknown>>> };
  let described: Record<string, Record<string, unknown>>;
  try {
    described = await queryInterface.describeTable(compat.tableOf(model));
  } catch (error) {
    if (NO_TABLE.test(String((error as Error)?.message))) return undefined;
    throw error;
  }
  return Object.entries(described).map(([name, column]) => ({
    name,
    type: String(column.type).toUpperCase(),
    allowNull: column.allowNull !== false,
    hasDefault: (column.defaultValue !== null && column.defaultValue !== undefined) || column.autoIncrement === true,
  }));
}

const find = (columns: Column[], name: string) =>
  columns.find((column) => column.name === name) ?? columns.find((column) => column.name.toLowerCase() === name.toLowerCase());

async function readOne(sequelize: SequelizeLike, compat: SequelizeCompat, sql: string): Promise<unknown> {
  const rows = (await sequelize.query(sql, { ...compat.queryOptions, type: 'SELECT' })) as Array<{ v?: unknown }>;
  return rows[0]?.v;
}

/** How `expire` is stored, and the conversion it needs; undefined for the dialect's own timestamp. */
async function expireFormOf(
  sequelize: SequelizeLike,
  compat: SequelizeCompat,
  dialect: Dialect,
  options: ResolvedOptions,
  column: Column,
  quoted: { table: string; expire: string },
  table: string,
): Promise<ExpireForm | undefined> {
  const unsupported = (what: string) =>
    new ConfigurationError('ERR_INVALID_TABLE', `Table \`${table}\`: an \`expire\` column (\`${column.name}\`) of ${what} is not supported on ${compat.dialect}`);
  if (INTEGER_TYPE.test(column.type)) {
    if (!dialect.epochSeconds) throw unsupported('seconds since the epoch');
    return dialect.epochSeconds;
  }
  // SQLite keeps dates as text, and Sequelize v7 declares them TEXT there.
  const sqliteText = compat.dialect === 'sqlite' && TEXT_TYPE.test(column.type);
  if (!DATE_TYPE.test(column.type) && !sqliteText) {
    throw new ConfigurationError(
      'ERR_INVALID_TABLE',
      `Table \`${table}\`: column \`${column.name}\` is ${column.type}, not a timestamp or integer seconds, so it cannot hold the expiry`,
    );
  }
  if (compat.dialect === 'postgres' && LOCAL_TIMESTAMP.test(column.type)) {
    // Its other writers (connect-pg-simple) fill it in the zone their connections start with, the
    // server's default; Sequelize sets its own zone on its connections, so that is read here.
    const zone = String(await readOne(sequelize, compat, `SELECT reset_val AS v FROM pg_settings WHERE name = 'TimeZone'`));
    if (!ZONE.test(zone) || !dialect.localTime) throw unsupported(`wall-clock time in the zone ${JSON.stringify(zone)}`);
    return dialect.localTime(zone);
  }
  if (compat.dialect === 'sqlite' && dialect.isoText) {
    // SQLite compares the text: follow the form the rows already have (knex's ISO `T…Z`).
    const sample = await readOne(sequelize, compat, `SELECT ${quoted.expire} AS v FROM ${quoted.table} LIMIT 1`);
    const iso = typeof sample === 'string' ? sample.includes('T') : options.preset === 'connect-session-knex';
    if (iso) return dialect.isoText;
  }
  return undefined;
}

/**
 * Reads the existing table of `fallback` (the created model) and returns the model that fits it,
 * or undefined when there is no such table. Throws a {@link ConfigurationError} naming a column
 * the store cannot use or cannot fill.
 */
export async function adoptTable(
  sequelize: SequelizeLike,
  compat: SequelizeCompat,
  dialect: Dialect,
  options: ResolvedOptions,
  fallback: SessionModel,
): Promise<SessionModel | undefined> {
  const columns = await readColumns(sequelize, compat, fallback.model);
  if (columns === undefined) return undefined;
  const table = options.tableName;
  const role = (key: 'sid' | 'sess' | 'expire') => {
    const column = find(columns, options.columns[key]);
    if (column === undefined) {
      throw new ConfigurationError(
        'ERR_INVALID_TABLE',
        `Table \`${table}\` has no column \`${options.columns[key]}\` for \`${key}\` (it has ${columns.map((c) => `\`${c.name}\``).join(', ')}): set \`columns\` or \`preset\``,
      );
    }
    return column;
  };
  const sid = role('sid');
  const sess = role('sess');
  const expire = role('expire');
  if (!JSON_TYPE.test(sess.type) && !TEXT_TYPE.test(sess.type)) {
    throw new ConfigurationError('ERR_INVALID_TABLE', `Table \`${table}\`: column \`${sess.name}\` is ${sess.type}, not JSON, JSONB or text, so it cannot hold sessions`);
  }

  const used = new Set([sid.name, sess.name, expire.name]);
  let createdAt: string | undefined;
  let updatedAt: string | undefined;
  const unfillable: string[] = [];
  // SQLite keeps dates as text, and Sequelize v7 declares them TEXT there.
  const isDate = (column: Column) => DATE_TYPE.test(column.type) || (compat.dialect === 'sqlite' && TEXT_TYPE.test(column.type));
  for (const column of columns) {
    if (used.has(column.name)) continue;
    if (isDate(column) && CREATED_AT.test(column.name)) createdAt ??= column.name;
    else if (isDate(column) && UPDATED_AT.test(column.name)) updatedAt ??= column.name;
    else if (!column.allowNull && !column.hasDefault) unfillable.push(column.name);
  }
  // `extras` may fill them; without it every insert would fail.
  if (unfillable.length > 0 && options.extras === undefined) {
    throw new ConfigurationError(
      'ERR_INVALID_TABLE',
      `Table \`${table}\` has ${unfillable.length === 1 ? 'a column' : 'columns'} ${unfillable.map((name) => `\`${name}\``).join(', ')} ` +
        'that cannot be null and has no default: the store cannot fill it (give it a default, or fill it with `extras`)',
    );
  }
  const unsafe = [sid.name, sess.name, expire.name, createdAt, updatedAt].find((name) => name !== undefined && UNSAFE_IDENTIFIER.test(name));
  if (unsafe !== undefined) {
    throw new ConfigurationError('ERR_INVALID_TABLE', `Table \`${table}\` has a column name with a quote, bracket, $ or NUL, which Sequelize v6 cannot quote faithfully`);
  }
  if (options.absolute !== undefined && createdAt === undefined) {
    throw new ConfigurationError('ERR_INVALID_TABLE', `Option \`expiration.absolute\` needs a creation-time column (createdAt) in table \`${table}\``);
  }

  // SQLite does not enforce a declared length.
  const length = compat.dialect === 'sqlite' ? null : /\((\d+)\)/.exec(sid.type);
  // A digest is 64 hex characters: a shorter sid column (connect-session-sequelize's VARCHAR(36)) cannot hold it.
  if (options.hashSids && length && Number(length[1]) < 64) {
    throw new ConfigurationError(
      'ERR_INVALID_TABLE',
      `Option \`hashSids\` stores 64-character digests, and column \`${sid.name}\` of table \`${table}\` holds ${length[1]}: widen it first`,
    );
  }
  const quotedTable = fallback.shape.table;
  const quotedExpire = compat.quoteIdentifier(expire.name);
  const expireForm = await expireFormOf(sequelize, compat, dialect, options, expire, { table: quotedTable, expire: quotedExpire }, table);
  const json = JSON_TYPE.test(sess.type);
  const others = columns.filter((c) => !used.has(c.name) && c.name !== createdAt && c.name !== updatedAt);
  const seconds = INTEGER_TYPE.test(expire.type);
  const model = defineAdopted(sequelize, compat, options, { sid, sess, expire, json, seconds, createdAt, updatedAt, others });
  const info = compat.modelInfo(model);
  const shape: TableShape = Object.freeze({
    table: quotedTable,
    sid: compat.quoteIdentifier(sid.name),
    sess: compat.quoteIdentifier(sess.name),
    expire: quotedExpire,
    sessKind: json ? 'json' : 'text',
    textMarker: textMarkerOf(dialect, options),
  });
  return Object.freeze({
    model,
    info,
    shape,
    // At most 255 characters (SPEC §2.4), fewer when the column is shorter.
    maxSidLength: length ? Math.min(Number(length[1]), 255) : 255,
    reserved: new Set([sid.name, sess.name, expire.name]),
    created: false,
    expireColumn: expire.name,
    expireForm,
    adopted: true,
  });
}

/** A model with the table's own columns, for `store.model` and for `extras` to name the other columns. */
function defineAdopted(
  sequelize: SequelizeLike,
  compat: SequelizeCompat,
  options: ResolvedOptions,
  found: {
    sid: Column; sess: Column; expire: Column; json: boolean; seconds: boolean;
    createdAt?: string; updatedAt?: string; others: Column[];
  },
): ModelLike {
  const types = compat.dataTypes as Record<string, any>;
  const modelName = `SequelizeSessionStore_${options.tableName}_${found.sid.name}_${found.sess.name}_${found.expire.name}`;
  const existing = compat.findModel(modelName);
  if (existing) return existing;
  const column = compat.columnOption;
  const attributes: Record<string, unknown> = {
    [found.sid.name]: { type: types.STRING(255), primaryKey: true, allowNull: false, [column]: found.sid.name },
    [found.sess.name]: {
      type: found.json ? (/^JSONB/.test(found.sess.type) ? types.JSONB : types.JSON) : types.TEXT,
      allowNull: found.sess.allowNull,
      [column]: found.sess.name,
    },
    [found.expire.name]: { type: found.seconds ? types.INTEGER : types.DATE, allowNull: false, [column]: found.expire.name },
  };
  for (const other of found.others) {
    if (UNSAFE_IDENTIFIER.test(other.name)) continue;
    const type = DATE_TYPE.test(other.type)
      ? types.DATE
      : JSON_TYPE.test(other.type) ? types.JSON : INTEGER_TYPE.test(other.type) ? types.INTEGER : types.STRING;
    attributes[other.name] = { type, allowNull: other.allowNull, [column]: other.name };
  }
  return sequelize.define(modelName, attributes, {
    tableName: options.tableName,
    timestamps: found.createdAt !== undefined || found.updatedAt !== undefined,
    createdAt: found.createdAt ?? false,
    updatedAt: found.updatedAt ?? false,
  });
}
