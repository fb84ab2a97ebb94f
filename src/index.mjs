// The ESM entry: a thin wrapper over the CommonJS build, so both share one class.
import cjs from './index.js';

export const {
  SequelizeSessionStore,
  SessionStoreError,
  ConfigurationError,
  InvalidInputError,
  CorruptSessionError,
  DatabaseError,
  StoreClosedError,
  sessionTableMigration,
  migrationSource,
} = cjs;
export default cjs;
