/**
 * The package's entry. `require('sequelize-session-store')` is the classic factory,
 * `require('sequelize-session-store')(session)`, which returns the store class, callable with or
 * without `new`; the class, the errors and `default` hang off it. This is the one list of public
 * names: the build writes the ESM entry (dist/index.mjs, dist/index.d.mts) from it, re-exporting
 * these same objects, so the class exists once and `instanceof` holds from both.
 */
import { SequelizeSessionStore as Store } from './store.js';
import {
  ConfigurationError as ConfigurationErrorClass,
  CorruptSessionError as CorruptSessionErrorClass,
  DatabaseError as DatabaseErrorClass,
  InvalidInputError as InvalidInputErrorClass,
  SessionStoreError as SessionStoreErrorClass,
  StoreClosedError as StoreClosedErrorClass,
  type ErrorCode as Code,
} from './errors.js';
import {
  migrationSource as migrationSourceFunction,
  sessionTableMigration as sessionTableMigrationFunction,
  type MigrationParams as Params,
  type SessionTableLayout as Layout,
  type SessionTableMigration as Migration,
} from './migration.js';
import type { ExtraValues as Extras, SequelizeSessionStoreOptions as Options, SessionModelStatic as SessionModel } from './options.js';
import type { ModelLike as Model, SequelizeLike as Sequelize } from './sequelize-compat.js';

/** The store class as the factory returns it: `new` is optional, as it was for connect-session-sequelize. */
type CallableStore = typeof Store & (<M extends Model = SessionModel>(options: Options<M>) => Store<M>);

const callableStore = new Proxy(Store, {
  apply: (Target, _this, args: [Options]) => new Target(...args),
}) as CallableStore;

/**
 * The classic form: `require('sequelize-session-store')(session)` returns the store class. The
 * argument (express-session's module) is accepted for compatibility; the store extends the Store
 * class of the express-session the application installed either way.
 */
function sequelizeSessionStore(session?: unknown): CallableStore {
  void session;
  return callableStore;
}

sequelizeSessionStore.SequelizeSessionStore = Store;
sequelizeSessionStore.SessionStoreError = SessionStoreErrorClass;
sequelizeSessionStore.ConfigurationError = ConfigurationErrorClass;
sequelizeSessionStore.InvalidInputError = InvalidInputErrorClass;
sequelizeSessionStore.CorruptSessionError = CorruptSessionErrorClass;
sequelizeSessionStore.DatabaseError = DatabaseErrorClass;
sequelizeSessionStore.StoreClosedError = StoreClosedErrorClass;
sequelizeSessionStore.sessionTableMigration = sessionTableMigrationFunction;
sequelizeSessionStore.migrationSource = migrationSourceFunction;
sequelizeSessionStore.default = sequelizeSessionStore;

// Types under the same names, for `import type { … }` and `factory.X` in CommonJS.
declare namespace sequelizeSessionStore {
  export type SequelizeSessionStore<M extends Model = SessionModel> = Store<M>;
  export type SequelizeSessionStoreOptions<M extends Model = SessionModel> = Options<M>;
  export type SessionModelStatic = SessionModel;
  export type SessionTableLayout = Layout;
  export type SessionTableMigration = Migration;
  export type MigrationParams = Params;
  export type ExtraValues = Extras;
  export type SequelizeLike = Sequelize;
  export type ModelLike = Model;
  export type ErrorCode = Code;
  export type SessionStoreError = SessionStoreErrorClass;
  export type ConfigurationError = ConfigurationErrorClass;
  export type InvalidInputError = InvalidInputErrorClass;
  export type CorruptSessionError = CorruptSessionErrorClass;
  export type DatabaseError = DatabaseErrorClass;
  export type StoreClosedError = StoreClosedErrorClass;
}

export = sequelizeSessionStore;
