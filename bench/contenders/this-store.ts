/**
 * This package's store, on Sequelize v6 (`sequelize`) and v7 (`@sequelize/core`), as built in dist/;
 * with SSS_BENCH_BASELINE=DIR, also as another build in DIR (base-v6, base-v7), timed in the same
 * rounds: before/after figures of a change from one run, under the same load.
 */
import { join, resolve } from 'node:path';
import type { SequelizeSessionStore as Built } from '../../src/store.js';
import type { Db } from '../lib/config.js';
import { sequelizeV6, sequelizeV7, sqliteWal, type Counted } from './sequelize.js';
import type { Contender, OpenOptions, Opened } from './types.js';

// The built package, as users load it (`npm run bench` builds it first): what is timed is what ships.
const load = (dir: string) => (require(join(dir, 'index.js')) as { SequelizeSessionStore: typeof Built }).SequelizeSessionStore;
const built = () => load(join(__dirname, '..', '..', 'dist'));

/**
 * `fromRead`: every set is of a session object built by createSession from a read, as
 * express-session makes it, so that a merging set writes the cookie and one key. Without `get`,
 * the read is made up (the same session with that key older): the row never holds what was read,
 * as if another request had changed it meanwhile, and a merge does its JSON work every time. With
 * `get`, each set first gets the session and sets what it read with that key changed, as a
 * `/write` request does (the get is timed too); a get that finds nothing is followed by the set of
 * a new session, as express-session generates one then (no read: whole, merge or not). With and
 * without `merge`, to compare like for like.
 */
function thisStore(
  id: string,
  label: string,
  connect: (db: Db, file: string, count?: boolean) => Counted,
  fromRead?: { merge: boolean; get?: boolean },
  build = built,
): Contender {
  return {
    id,
    label,
    storeOnly: fromRead !== undefined,
    supports: () => true,
    async open(db: Db, options: OpenOptions): Promise<Opened> {
      const { sequelize, statements } = connect(db, options.table, options.countStatements);
      await sqliteWal(sequelize, db);
      const SequelizeSessionStore = build();
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
          return store.get(sid).then((data) => (data === null ? set(sid, session, callback) : write(data)));
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

/** The same store built from another checkout, its `dist/` in `dir`: base-v6 and base-v7. */
export const baselineContenders = (dir: string): Contender[] => [
  thisStore('base-v6', `baseline build (v6, ${dir})`, sequelizeV6, undefined, () => load(resolve(dir))),
  thisStore('base-v7', `baseline build (v7, ${dir})`, sequelizeV7, undefined, () => load(resolve(dir))),
];

const baseline = process.env.SSS_BENCH_BASELINE;
/** The baseline contenders of SSS_BENCH_BASELINE, when one is given. */
export const baselines: Contender[] = baseline === undefined ? [] : baselineContenders(baseline);
