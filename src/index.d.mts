import sequelizeSessionStore from './index.js';

export {
  SequelizeSessionStore,
  SessionStoreError,
  ConfigurationError,
  InvalidInputError,
  CorruptSessionError,
  DatabaseError,
  StoreClosedError,
} from './index.js';
export type { SequelizeSessionStoreOptions, ExtraValues, SequelizeLike, ModelLike, ErrorCode } from './index.js';
export default sequelizeSessionStore;
