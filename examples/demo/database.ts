// The Sequelize connection, the demo's session model and the store. The model is ours (rather than
// the store's default) because "your active sessions" needs two more columns, userName and lastSeen,
// which the store's `extras` option fills on every write.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataTypes, Sequelize, type Model, type ModelStatic, type Options } from 'sequelize';
import { SequelizeSessionStore } from 'sequelize-session-store';
import type { DatabaseConfig } from './config';

/** A table of the demo's own, so it never meets the tests' or an application's `express_session`. */
export const TABLE_NAME = 'demo_session';

export interface DemoSessionRow {
  /** A Buffer on MySQL/MariaDB, whose sid column is VARBINARY. */
  sid: string | Buffer;
  sess: string;
  expire: Date;
  userName: string | null;
  lastSeen: Date | null;
}

export type DemoSessionModel = ModelStatic<Model<DemoSessionRow>>;

declare module 'express-session' {
  interface SessionData {
    /** Set on sign-in; copied into the userName column by `extras`. */
    userName: string;
    visits: number;
    /** The synchronizer token that every form of this session must send back. */
    csrfToken: string;
    /** A one-off message for the next page. */
    flash: string;
  }
}

export function connect(database: DatabaseConfig): Sequelize {
  const options: Options = {
    logging: false,
    // Fail a start against an unreachable server soon, not after Sequelize's default 60 s.
    pool: { acquire: 10_000 },
  };
  if (database.dialect === 'sqlite') {
    const storage = database.storage ?? ':memory:';
    if (storage !== ':memory:') mkdirSync(dirname(storage), { recursive: true });
    return new Sequelize({ ...options, dialect: 'sqlite', storage });
  }
  // Sequelize v6 reads dialect, credentials, host, port, database and query options from the URL.
  return new Sequelize(database.url ?? '', options);
}

export function defineSessionModel(sequelize: Sequelize, tableName = TABLE_NAME): DemoSessionModel {
  const mysqlFamily = ['mysql', 'mariadb'].includes(sequelize.getDialect());
  return sequelize.define<Model<DemoSessionRow>>(
    'DemoSession',
    {
      // VARBINARY on MySQL/MariaDB, as the store's own table: session ids must compare byte for byte.
      // A BINARY string (utf8mb4_bin) still ignores trailing spaces on MariaDB, a PAD SPACE collation.
      sid: { type: mysqlFamily ? 'VARBINARY(1020)' : DataTypes.STRING(255), primaryKey: true },
      // LONGTEXT on MySQL/MariaDB, whose TEXT stops at 64 KB.
      sess: { type: mysqlFamily ? DataTypes.TEXT('long') : DataTypes.TEXT, allowNull: false },
      expire: { type: DataTypes.DATE(6), allowNull: false },
      userName: { type: DataTypes.STRING(255), allowNull: true },
      lastSeen: { type: DataTypes.DATE, allowNull: true },
    },
    {
      tableName,
      timestamps: false,
      // "Your active sessions" and "sign out everywhere else" look sessions up by name.
      indexes: [{ fields: ['expire'] }, { fields: ['userName'] }],
    },
  );
}

export function createStore(sequelize: Sequelize): { store: SequelizeSessionStore; model: DemoSessionModel } {
  const model = defineSessionModel(sequelize);
  const store = new SequelizeSessionStore({
    sequelize,
    model,
    extras: (data, session) => {
      data.userName = session.userName ?? null;
      data.lastSeen = new Date();
    },
  });
  return { store, model };
}
