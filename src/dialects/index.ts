/** The dialect of each name Sequelize reports, mariadb and ibmi sharing their siblings' differences. */
import { ConfigurationError, describe } from '../errors.js';
import type { DialectName, SequelizeCompat } from '../sequelize-compat.js';
import type { Dialect } from './dialect.js';
import { db2, mssql, oracle, snowflake } from './merge-into.js';
import { mysql } from './mysql.js';
import { postgres } from './postgres.js';
import { sqlite } from './sqlite.js';

export type { Dialect, ExpireForm, PruneBatches, TableShape, UpsertShape } from './dialect.js';

const DIALECTS: Partial<Record<DialectName, Dialect>> = {
  postgres, sqlite, mysql, mariadb: mysql, mssql, db2, ibmi: db2, oracle, snowflake,
};

/**
 * The SQL differences of a dialect, as an instance whose `timezone` is `zone` uses them; undefined
 * for one the store has no single-statement upsert for.
 */
export function dialectFor(name: DialectName, zone?: string): Dialect | undefined {
  const dialect = DIALECTS[name];
  return (zone === undefined ? undefined : dialect?.inZone?.(zone)) ?? dialect;
}

/** The store's dialect for an instance; throws a {@link ConfigurationError} for a database it cannot serve. */
export function requireDialect(compat: SequelizeCompat): Dialect {
  const dialect = dialectFor(compat.dialect, compat.timezone);
  if (dialect) return dialect;
  throw new ConfigurationError('ERR_INVALID_SEQUELIZE', `Dialect ${describe(compat.rawDialect)} is not supported: the store needs a single-statement upsert`);
}
