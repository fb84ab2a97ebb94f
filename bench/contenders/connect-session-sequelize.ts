/** connect-session-sequelize 8 (Sequelize v6 only: it requires `sequelize` for its operators). */
import session from 'express-session';
import type { Db } from '../lib/config.js';
import { sequelizeV6, sqliteWal } from './sequelize.js';
import type { Contender, Opened, OpenOptions } from './types.js';

export const connectSessionSequelize: Contender = {
  id: 'css',
  label: 'connect-session-sequelize 8',
  supports: () => true,
  async open(db: Db, options: OpenOptions): Promise<Opened> {
    const { sequelize, statements } = sequelizeV6(db, options.table, options.countStatements);
    await sqliteWal(sequelize, db);
     
    const SequelizeStore = require('connect-session-sequelize')(session.Store);
    const store = new SequelizeStore({ db: sequelize, tableName: options.table, modelKey: `Bench_${options.table}`, checkExpirationInterval: 0 });
    await store.sync();
    return {
      store,
      statements,
      reset: () => store.sessionModel.destroy({ truncate: true }),
      async close() {
        store.stopExpiringSessions();
        await sequelize.close();
      },
    };
  },
};
