/**
 * The session table as the store sees it, for the command line's own statements (counting expired
 * rows, rewriting ids): the same options, model, adoption and statements the store builds, so the
 * tool compares and writes each column in the form the store does (a local timestamp, epoch
 * seconds, SQLite's ISO text).
 */
import { adoptTable } from './adopt.js';
import { dialectFor } from './dialects/index.js';
import { ConfigurationError } from './errors.js';
import { resolveModel, type SessionModel } from './model.js';
import { resolveOptions } from './options.js';
import { compat as compatOf, type SequelizeCompat, type SequelizeLike } from './sequelize-compat.js';
import { buildStatements, type Statements } from './statements.js';

export interface Layout {
  /** The table's name, unquoted. */
  readonly table: string;
  readonly session: SessionModel;
  readonly statements: Statements;
  readonly compat: SequelizeCompat;
  /** The attribute of the model that holds the sid. */
  readonly sidAttribute: string;
}

/** Reads the layout the store would use with these options (reading an existing table's columns when it adopts one). */
export async function readLayout(sequelize: SequelizeLike, storeOptions: Record<string, unknown>): Promise<Layout> {
  const options = resolveOptions({ ...storeOptions, sequelize });
  const compat = compatOf(sequelize);
  const dialect = dialectFor(compat.dialect, compat.timezone);
  if (!dialect) throw new ConfigurationError('ERR_INVALID_SEQUELIZE', `Dialect ${compat.rawDialect} is not supported`);
  let session = resolveModel(sequelize, compat, dialect, options);
  if (options.model === undefined && options.shared) {
    session = (await adoptTable(sequelize, compat, dialect, options, session)) ?? session;
  }
  const statements = buildStatements(dialect, session, compat.quoteIdentifier, undefined);
  const sidColumn = options.columns.sid;
  const attributes = [...session.info.attributes.values()];
  const sid = attributes.find((attribute) => attribute.column === sidColumn || attribute.name === sidColumn) ?? attributes.find((a) => a.primaryKey);
  if (!sid) throw new ConfigurationError('ERR_INVALID_MODEL', `The session table has no sid column \`${sidColumn}\``);
  return { table: compat.tableNameOf(session.model), session, statements, compat, sidAttribute: sid.name };
}

/** How many rows have expired (sessions and destroy markers alike): what the next prune removes. */
export async function countExpired(sequelize: SequelizeLike, layout: Layout): Promise<number> {
  const { sql, bind } = layout.statements.expired(Date.now());
  const rows = (await sequelize.query(sql, { ...layout.compat.queryOptions, bind, type: 'SELECT' })) as Array<{ n: unknown }>;
  return Number(rows[0]?.n ?? 0);
}
