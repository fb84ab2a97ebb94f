import sequelizeSessionStore from './index.js';

export {
  SequelizeSessionStore,
  SessionStoreError,
  ConfigurationError,
  InvalidInputError,
  CorruptSessionError,
  DatabaseError,
  StoreClosedError,
  sessionTableMigration,
  migrationSource,
} from './index.js';
export type {
  SequelizeSessionStoreOptions,
  ExtraValues,
  SequelizeLike,
  ModelLike,
  ErrorCode,
  SessionModelStatic,
  SessionTableLayout,
  SessionTableMigration,
  MigrationParams,
} from './index.js';
export default sequelizeSessionStore;
