// Replica test (SPEC §3 "Replication"): with Sequelize's `replication`, every store read
// goes to the primary. The read pool points at another, empty database (`sss_replica`), so a read
// that went there would fail (no table) or miss: set then get/all/length returning the data proves
// they went to the primary. PostgreSQL only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PG_URL } from './support/servers.cjs';
import { targets, uniqueTable } from './support/targets.js';
import { HOUR, dropTable, makeSession, openStore, withoutCookie, type SequelizeSessionStore } from './support/store-kit.js';

const REPLICA_DATABASE = 'sss_replica';

/** Creates the empty "replica" database when missing (tolerating a concurrent creation). */
async function ensureReplicaDatabase(): Promise<void> {
  const url = new URL(PG_URL);
  const admin = new pg.Client({
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password) || undefined,
    database: 'postgres',
    connectionTimeoutMillis: 3000,
  });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [REPLICA_DATABASE]);
    if (rowCount === 0) {
      await admin.query(`CREATE DATABASE ${REPLICA_DATABASE}`).catch((error: { code?: string }) => {
        // 42P04 duplicate_database, 23505: another process created it at the same moment.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await admin.end();
  }
}

for (const target of targets()) {
  if (target.dialect !== 'postgres') continue;

  describe(`${target.tag} replication (reads go to the primary)`, () => {
    const table = uniqueTable('hard_replica');
    let sequelize: any;
    let store: SequelizeSessionStore;

    before(async () => {
      await ensureReplicaDatabase();
      const url = new URL(PG_URL);
      const userKey = target.major === 'v6' ? 'username' : 'user';
      const side = (database: string) => ({
        host: '127.0.0.1',
        port: Number(url.port || 5432),
        database,
        [userKey]: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      });
      sequelize = target.connect({
        replication: { read: [side(REPLICA_DATABASE)], write: side(url.pathname.slice(1)) },
      });
      store = openStore(sequelize, { tableName: table });
    });

    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    it('the setup is real: a plain SELECT goes to the empty replica database', async () => {
      const [row] = (await sequelize.query('SELECT current_database() AS db', { type: 'SELECT', raw: true })) as Array<{ db: string }>;
      assert.equal(row!.db, REPLICA_DATABASE);
    });

    it('set, then get/all/length return the data (read from the primary)', async () => {
      await store.set('replica-1', makeSession(HOUR, { n: 1 }));
      await store.set('replica-2', makeSession(HOUR, { n: 2 }));
      assert.deepEqual(withoutCookie(await store.get('replica-1')), { n: 1 });
      const all = await store.all();
      assert.deepEqual(Object.keys(all).sort(), ['replica-1', 'replica-2']);
      assert.equal(await store.length(), 2);
    });

    it('touch, destroy, destroy-then-get, cleanExpired and a read right after a write stay on the primary', async () => {
      await store.touch('replica-1', makeSession(2 * HOUR, { n: 1 }));
      const got = await store.get('replica-1');
      assert.ok(Math.abs(Date.parse(String(got!.cookie.expires)) - (Date.now() + 2 * HOUR)) < 60_000);
      await store.destroy('replica-2');
      assert.equal(await store.get('replica-2'), null);
      assert.equal(await store.length(), 1);
      await store.set('replica-expired', makeSession(-HOUR, { gone: true }));
      assert.ok((await store.cleanExpired()) >= 1);
      for (let i = 0; i < 20; i++) {
        await store.set(`replica-rw-${i}`, makeSession(HOUR, { i }));
        assert.deepEqual(withoutCookie(await store.get(`replica-rw-${i}`)), { i });
      }
      assert.equal(await store.length(), 21);
    });
  });
}
