/**
 * The model behind the store: the created default (SPEC §2.3) or the application's own, checked
 * once at construction, and the quoted table shape the statements are built from.
 */
import { ConfigurationError } from './errors.js';
import type { Dialect, ExpireForm, TableShape } from './dialects/index.js';
import { UNSAFE_IDENTIFIER, type ResolvedOptions } from './options.js';
import type { AttributeInfo, ModelInfo, ModelLike, SequelizeCompat, SequelizeLike } from './sequelize-compat.js';

// Data type names, and the SQL names a model may give as a plain string type.
const SID_TYPES = new Set(['STRING', 'CHAR', 'TEXT', 'CITEXT', 'UUID', 'UUIDV4', 'VARBINARY', 'VARCHAR', 'NVARCHAR']);
const SESS_TYPES = new Set(['TEXT', 'STRING', 'JSON', 'JSONB', 'CITEXT', 'VARCHAR', 'NVARCHAR', 'MEDIUMTEXT', 'LONGTEXT', 'CLOB']);
export const DATE_TYPES = new Set(['DATE', 'DATETIME', 'DATETIME2', 'TIMESTAMP', 'TIMESTAMPTZ']);

/** The resolved model: the class, its table shape and what `set` must fill besides sid/sess/expire. */
export interface SessionModel {
  readonly model: ModelLike;
  readonly info: ModelInfo;
  readonly shape: TableShape;
  /** Longest sid the sid column takes. */
  readonly maxSidLength: number;
  /** Attribute names of the sid/sess/expire columns, which `extras` may not set. */
  readonly reserved: ReadonlySet<string>;
  /** Whether the store created the model and declared its index (on the default table). */
  readonly created: boolean;
  /** The column name of `expire`, unquoted. */
  readonly expireColumn: string;
  /** How `expire` is written and read when it is not the dialect's own timestamp. */
  readonly expireForm: ExpireForm | undefined;
  /** Whether the model describes an existing table the store read (SPEC §2.5), which it never creates. */
  readonly adopted: boolean;
}

/** The destroy marker of a text `sess`: JSON `null` in a table another store may read, which every peer reads as no session. */
export function textMarkerOf(dialect: Dialect, options: ResolvedOptions): string {
  return options.shared && dialect.textMarker === '' ? 'null' : dialect.textMarker;
}

function defineDefaultModel(sequelize: SequelizeLike, compat: SequelizeCompat, dialect: Dialect, options: ResolvedOptions): ModelLike {
  const types = compat.dataTypes as Record<string, any>;
  const { tableName, columns } = options;
  const column = compat.columnOption;
  const modelName = `SequelizeSessionStore_${tableName}`;
  // Two stores on one table share the model rather than replace it under the first one's feet.
  const existing = compat.findModel(modelName);
  if (existing) return existing;
  return sequelize.define(
    modelName,
    {
      sid: { type: dialect.columnTypes.sid(types), primaryKey: true, allowNull: false, [column]: columns.sid },
      sess: { type: dialect.columnTypes.sess(types), allowNull: false, [column]: columns.sess },
      expire: { type: types.DATE(6), allowNull: false, [column]: columns.expire },
    },
    {
      tableName,
      // expiration.absolute needs to know when each session began: a `created` column then.
      ...(options.absolute === undefined ? { timestamps: false } : { timestamps: true, createdAt: 'created', updatedAt: false }),
      // A table named in the options may be another store's, with an index of its own: this model
      // then declares none, so that an application's sequelize.sync() adds no second one; the
      // store adds it only where missing.
      indexes: options.shared ? [] : [{ name: `${tableName}_expire`, fields: [columns.expire] }],
    },
  );
}

function findAttribute(info: ModelInfo, wanted: string): AttributeInfo | undefined {
  const byName = info.attributes.get(wanted);
  if (byName) return byName;
  for (const attribute of info.attributes.values()) if (attribute.column === wanted) return attribute;
  return undefined;
}

/** Resolves the model of the store; throws a {@link ConfigurationError} naming what a user's model lacks. */
export function resolveModel(sequelize: SequelizeLike, compat: SequelizeCompat, dialect: Dialect, options: ResolvedOptions): SessionModel {
  const model = options.model ?? defineDefaultModel(sequelize, compat, dialect, options);
  const modelSequelize = (model as unknown as { sequelize?: unknown }).sequelize;
  if (options.model !== undefined && modelSequelize !== undefined && modelSequelize !== sequelize) {
    throw new ConfigurationError('ERR_INVALID_MODEL', `Model \`${model.name}\` belongs to another Sequelize instance than \`sequelize\``);
  }
  const info = compat.modelInfo(model);

  const problems: string[] = [];
  const pick = (role: 'sid' | 'sess' | 'expire', allowed: Set<string>, expected: string) => {
    const attribute = findAttribute(info, options.columns[role]);
    if (!attribute) problems.push(`an attribute \`${options.columns[role]}\` (${expected})`);
    else if (!allowed.has(attribute.type)) problems.push(`\`${attribute.name}\` to be ${expected}, not ${attribute.type}`);
    else if (role === 'sid' && !attribute.primaryKey) problems.push(`\`${attribute.name}\` to be the primary key`);
    return attribute;
  };
  const sid = pick('sid', SID_TYPES, 'a string primary key');
  const sess = pick('sess', SESS_TYPES, 'JSON, JSONB, TEXT or STRING');
  const expire = pick('expire', DATE_TYPES, 'a DATE');
  if (!sid || !sess || !expire || problems.length > 0) {
    const hint = options.model === undefined ? '' : ' (set `columns` if they have other names)';
    throw new ConfigurationError('ERR_INVALID_MODEL', `Model \`${model.name}\` needs ${problems.join(', ')}${hint}`);
  }

  if (options.absolute !== undefined && info.createdAt === undefined) {
    throw new ConfigurationError(
      'ERR_INVALID_MODEL',
      `Option \`expiration.absolute\` needs a creation-time column: give model \`${model.name}\` Sequelize timestamps (createdAt)`,
    );
  }

  const unsafe = [compat.tableNameOf(model), sid.column, sess.column, expire.column, info.createdAt, info.updatedAt].find(
    (name) => name !== undefined && UNSAFE_IDENTIFIER.test(name),
  );
  if (unsafe !== undefined) {
    throw new ConfigurationError(
      'ERR_INVALID_MODEL',
      `Model \`${model.name}\` uses a table or column name with a quote, bracket, $ or NUL, which Sequelize v6 cannot quote faithfully`,
    );
  }

  const shape: TableShape = Object.freeze({
    table: compat.quoteTable(model),
    sid: compat.quoteIdentifier(sid.column),
    sess: compat.quoteIdentifier(sess.column),
    expire: compat.quoteIdentifier(expire.column),
    sessKind: sess.type === 'JSON' || sess.type === 'JSONB' ? 'json' : 'text',
    textMarker: textMarkerOf(dialect, options),
  });
  return Object.freeze({
    model,
    info,
    shape,
    maxSidLength: sid.type === 'STRING' || sid.type === 'CHAR' ? (options.model ? (sid.length ?? 255) : 255) : options.model ? 10_000 : 255,
    reserved: new Set([sid.name, sess.name, expire.name]),
    created: options.model === undefined && !options.shared,
    expireColumn: expire.column,
    expireForm: undefined,
    adopted: false,
  });
}
