// A session table described without a server: the model a store would resolve, for the pure
// modules' tests (statements, codec). Identifiers are quoted with double quotes for every dialect:
// quoting is Sequelize's, not the dialect's.
import { dialectFor, type Dialect } from '../../src/dialects/index.js';
import type { SessionModel } from '../../src/model.js';
import type { AttributeInfo, DialectName } from '../../src/sequelize-compat.js';

export const DIALECT_NAMES: readonly DialectName[] = ['postgres', 'mysql', 'mariadb', 'sqlite', 'mssql', 'db2', 'ibmi', 'oracle', 'snowflake'];

export const quote = (name: string) => `"${name}"`;

export function dialect(name: DialectName): Dialect {
  const found = dialectFor(name);
  if (!found) throw new Error(`no dialect ${name}`);
  return found;
}

const attribute = (name: string, column: string, type: string, primaryKey = false): AttributeInfo => ({ name, column, type, length: undefined, primaryKey });

/**
 * Table `sessions` with sid, sess (TEXT, or JSON with `json`), expire and two extra attributes:
 * `userId` (column user_id, INTEGER) and `seenAt` (column seen_at, DATE); with `timestamps`, the
 * Sequelize columns createdAt and updatedAt.
 */
export function layout(name: DialectName, { json = false, timestamps = false } = {}): SessionModel {
  const attributes = [
    attribute('sid', 'sid', 'STRING', true),
    attribute('sess', 'sess', json ? 'JSON' : 'TEXT'),
    attribute('expire', 'expire', 'DATE'),
    attribute('userId', 'user_id', 'INTEGER'),
    attribute('seenAt', 'seen_at', 'DATE'),
    ...(timestamps ? [attribute('createdAt', 'createdAt', 'DATE'), attribute('updatedAt', 'updatedAt', 'DATE')] : []),
  ];
  return {
    model: class {} as unknown as SessionModel['model'],
    info: {
      attributes: new Map(attributes.map((entry) => [entry.name, entry])),
      createdAt: timestamps ? 'createdAt' : undefined,
      updatedAt: timestamps ? 'updatedAt' : undefined,
    },
    shape: {
      table: quote('sessions'),
      sid: quote('sid'),
      sess: quote('sess'),
      expire: quote('expire'),
      sessKind: json ? 'json' : 'text',
      textMarker: dialect(name).textMarker,
    },
    maxSidLength: 255,
    reserved: new Set(['sid', 'sess', 'expire']),
    created: true,
    expireColumn: 'expire',
    expireForm: undefined,
    adopted: false,
  };
}
