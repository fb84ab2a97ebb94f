/**
 * The default session table as a migration: the same columns, types and index on `expire` as the
 * created model's `sync()` makes (SPEC §2.3), for sequelize-cli (generated source text) and umzug
 * (a `{ up, down }` pair). The types come from the dialect's `columnTypes`, the one declaration the
 * created model uses too.
 */
import { dialectFor } from './dialects/index.js';
import { ConfigurationError } from './errors.js';
import { UNSAFE_IDENTIFIER } from './options.js';
import { compat, type DialectName, type SequelizeLike } from './sequelize-compat.js';

/** Layout of the session table, as the store's options name it. */
export interface SessionTableLayout {
  /** @default 'express_session' */
  tableName?: string;
  /** Column names of sid, sess and expire. @default identity */
  columns?: { sid?: string; sess?: string; expire?: string };
}

interface ResolvedLayout {
  readonly tableName: string;
  readonly sid: string;
  readonly sess: string;
  readonly expire: string;
  readonly index: string;
}

interface QueryInterfaceLike {
  sequelize: SequelizeLike;
  createTable(table: string, attributes: object): Promise<unknown>;
  addIndex(table: string, fields: string[], options: { name: string }): Promise<unknown>;
  dropTable(table: string): Promise<unknown>;
}

/** What umzug passes to a migration (`{ context }`), or a query interface itself (sequelize-cli's first argument). */
export type MigrationParams = { context: unknown } | QueryInterfaceLike;

export interface SessionTableMigration {
  up(params: MigrationParams): Promise<void>;
  down(params: MigrationParams): Promise<void>;
}

function resolveLayout(layout: SessionTableLayout = {}): ResolvedLayout {
  const name = (path: string, value: unknown, fallback: string): string => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0 || value.length > 128 || UNSAFE_IDENTIFIER.test(value)) {
      throw new ConfigurationError('ERR_INVALID_OPTION', `Expected \`${path}\` to be a name of 1 to 128 characters without quotes, brackets, $ or NUL`);
    }
    return value;
  };
  const tableName = name('tableName', layout.tableName, 'express_session');
  const columns = layout.columns ?? {};
  return {
    tableName,
    sid: name('columns.sid', columns.sid, 'sid'),
    sess: name('columns.sess', columns.sess, 'sess'),
    expire: name('columns.expire', columns.expire, 'expire'),
    // The created model names its index so.
    index: `${tableName}_expire`,
  };
}

/** The query interface in umzug's `{ context }` (a query interface or a Sequelize instance) or given directly. */
function queryInterfaceOf(params: MigrationParams): QueryInterfaceLike {
  const target = (params !== null && typeof params === 'object' && 'context' in params ? params.context : params) as
    | (Partial<QueryInterfaceLike> & { getQueryInterface?: () => QueryInterfaceLike })
    | null
    | undefined;
  if (target && typeof target.getQueryInterface === 'function') return target.getQueryInterface();
  if (target && typeof target.createTable === 'function' && target.sequelize) return target as QueryInterfaceLike;
  throw new ConfigurationError(
    'ERR_INVALID_ARGUMENT',
    "Expected the migration's context to be a Sequelize query interface or instance (umzug: `context: sequelize.getQueryInterface()`)",
  );
}

/**
 * A migration creating the session table and its index on `expire`, for umzug:
 * `migrations: [{ name: '0001-sessions', ...sessionTableMigration() }]`, with
 * `context: sequelize.getQueryInterface()`. `down` drops the table.
 */
export function sessionTableMigration(layout?: SessionTableLayout): SessionTableMigration {
  const table = resolveLayout(layout);
  return {
    async up(params) {
      const queryInterface = queryInterfaceOf(params);
      const instance = compat(queryInterface.sequelize);
      const dialect = dialectFor(instance.dialect);
      if (!dialect) throw new ConfigurationError('ERR_INVALID_SEQUELIZE', `Dialect ${instance.rawDialect} is not supported`);
      const types = instance.dataTypes as Record<string, any>;
      await queryInterface.createTable(table.tableName, {
        [table.sid]: { type: dialect.columnTypes.sid(types), primaryKey: true, allowNull: false },
        [table.sess]: { type: dialect.columnTypes.sess(types), allowNull: false },
        [table.expire]: { type: types.DATE(6), allowNull: false },
      });
      await queryInterface.addIndex(table.tableName, [table.expire], { name: table.index });
    },
    async down(params) {
      await queryInterfaceOf(params).dropTable(table.tableName);
    },
  };
}

/** Dialects a generated migration can be fixed to; without one it picks the types when it runs. */
export const MIGRATION_DIALECTS = ['postgres', 'mysql', 'mariadb', 'sqlite', 'mssql', 'db2', 'oracle', 'snowflake'] as const;

/** The source of each column type, as a sequelize-cli migration writes it, for a dialect family. */
function typeSource(dialect: DialectName): { sid: string; sess: string } {
  // Kept in step with dialects/*.ts columnTypes; the migration test compares both on every target.
  return dialect === 'mysql' || dialect === 'mariadb'
    ? { sid: "'VARBINARY(1020)'", sess: "'LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'" }
    : { sid: 'Sequelize.STRING(255)', sess: 'Sequelize.TEXT' };
}

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const key = (value: string) => (/^[A-Za-z_$][\w$]*$/.test(value) ? value : quote(value));

/**
 * The source of a sequelize-cli migration (`module.exports = { up, down }`) creating the session
 * table and its index, with the types of `dialect`, or, without one, those of the dialect it runs on.
 */
export function migrationSource(layout?: SessionTableLayout, dialect?: DialectName): string {
  const table = resolveLayout(layout);
  const mysql = typeSource('mysql');
  const other = typeSource('postgres');
  const fixed = dialect === undefined ? undefined : typeSource(dialect);
  const types = fixed
    ? `    const sid = ${fixed.sid};\n    const sess = ${fixed.sess};\n`
    : `    // VARBINARY: MySQL/MariaDB collations fold case and ignore trailing spaces; a plain TEXT stops at\n` +
      `    // 64 KB, and utf8mb4 holds any text whatever the server's default character set.\n` +
      `    const mysql = ['mysql', 'mariadb'].includes(queryInterface.sequelize.getDialect());\n` +
      `    const sid = mysql ? ${mysql.sid} : ${other.sid};\n` +
      `    const sess = mysql ? ${mysql.sess} : ${other.sess};\n`;
  return `'use strict';

// The session table of sequelize-session-store${dialect ? ` (${dialect})` : ''}: the same columns and index on
// the expiry as the store's createTable makes. Generated by \`sequelize-session-store migration\`.

module.exports = {
  async up(queryInterface, Sequelize) {
${types}    await queryInterface.createTable(${quote(table.tableName)}, {
      ${key(table.sid)}: { type: sid, primaryKey: true, allowNull: false },
      ${key(table.sess)}: { type: sess, allowNull: false },
      ${key(table.expire)}: { type: Sequelize.DATE(6), allowNull: false },
    });
    await queryInterface.addIndex(${quote(table.tableName)}, [${quote(table.expire)}], { name: ${quote(table.index)} });
  },

  async down(queryInterface) {
    await queryInterface.dropTable(${quote(table.tableName)});
  },
};
`;
}
