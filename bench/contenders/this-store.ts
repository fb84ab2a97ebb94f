/** This package's store, on Sequelize v6 (`sequelize`) and v7 (`@sequelize/core`), as built in dist/. */
import type { SequelizeSessionStore as Built } from '../../src/store.js';
import type { Db } from '../lib/config.js';
import { sequelizeV6, sequelizeV7, sqliteWal, type Counted } from './sequelize.js';
import type { Contender, OpenOptions, Opened } from './types.js';

// The built package, as users load it (`npm run bench` builds it first): what is timed is what ships.
const { SequelizeSessionStore } = require('../../dist/index.js') as { SequelizeSessionStore: typeof Built };

/**
 * `fromRead`: every set is of a session object built by createSession from a read, as
 * express-session makes it, so that a merging set writes the cookie and one key. Without `get`,
 * the read is made up (the same session with that key older): the row never holds what was read,
 * as if another request had changed it meanwhile, and a merge does its JSON work every time. With
 * `get`, each set first gets the session and sets what it read with that key changed, as a
 * `/write` request does (the get is timed too). With and without `merge`, to compare like for like.
 */
function thisStore(
  id: string,
  label: string,
  connect: (db: Db, file: string, count?: boolean) => Counted,
  fromRead?: { merge: boolean; get?: boolean },
): Contender {
  return {
    id,
    label,
    storeOnly: fromRead !== undefined,
    supports: () => true,
    async open(db: Db, options: OpenOptions): Promise<Opened> {
      const { sequelize, statements } = connect(db, options.table, options.countStatements);
      await sqliteWal(sequelize, db);
      const store = new SequelizeSessionStore({
        sequelize,
        tableName: options.table,
        expiration: { interval: false },
        touchAfter: options.touchAfter ?? 0,
        merge: fromRead?.merge ?? false,
      });
      await store.sync();
      if (fromRead) {
        const set = store.set.bind(store);
        const madeUp = (sid: string, session: object) => store.createSession({ sessionID: sid } as never, { ...session, visits: -1 } as never);
        store.set = (sid, session, callback) => {
          const visits = (session as unknown as Record<string, unknown>).visits;
          const write = (data: object | null) => {
            const read = (data === null ? madeUp(sid, session) : store.createSession({ sessionID: sid } as never, data as never)) as unknown as Record<string, unknown>;
            read.visits = visits;
            return set(sid, read as never, callback);
          };
          if (!fromRead.get) return write(null);
          return store.get(sid).then(write);
        };
      }
      return {
        store,
        sequelize,
        statements,
        reset: () => store.clear(),
        prune: () => store.cleanExpired(),
        sql: (text, bind) => sequelize.query(text, { bind, raw: true }),
        async close() {
          await store.close();
          await sequelize.close();
        },
      };
    },
  };
}

export const thisStoreV6 = thisStore('sss-v6', 'sequelize-session-store (v6)', sequelizeV6);
export const thisStoreV7 = thisStore('sss-v7', 'sequelize-session-store (v7)', sequelizeV7);
export const thisStoreV6Read = thisStore('sss-v6-read', 'sequelize-session-store (v6, sets of a read)', sequelizeV6, { merge: false });
export const thisStoreV6Merge = thisStore('sss-v6-merge', 'sequelize-session-store (v6, sets of a read, merge: true)', sequelizeV6, { merge: true });
export const thisStoreV6Get = thisStore('sss-v6-get', 'sequelize-session-store (v6, get then set)', sequelizeV6, { merge: false, get: true });
export const thisStoreV6GetMerge = thisStore('sss-v6-get-merge', 'sequelize-session-store (v6, get then set, merge: true)', sequelizeV6, { merge: true, get: true });
