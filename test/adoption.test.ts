// SPEC §2.5 beyond the peers: a column the store cannot fill is refused by name before anything
// is written; a JSON `sess` is adopted; a failed read of the table is retried like table
// creation; presets and their overrides.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MARIADB_URL, PG_URL } from './support/servers.cjs';
import { targets, uniqueTable, type Target } from './support/targets.js';
import { TcpProxy, within } from './support/tcp-proxy.js';
import {
  HOUR,
  SequelizeSessionStore,
  dataTypes,
  dropTable,
  makeSession,
  openStore,
  rawCount,
  rawRow,
  rejectsWithCode,
  statementsDuring,
  throwsWithCode,
} from './support/store-kit.js';

const serverPort = (target: Target) => Number(new URL(target.dialect === 'postgres' ? PG_URL : MARIADB_URL).port);

/** A table as an application might have made it: JSON `sess`, and optionally a NOT NULL `tenant` without default. */
async function createTable(sequelize: any, table: string, withTenant: boolean, sidLength = 64): Promise<void> {
  const types = dataTypes(sequelize);
  const queryInterface = sequelize.queryInterface ?? sequelize.getQueryInterface();
  await queryInterface.createTable(table, {
    sid: { type: types.STRING(sidLength), primaryKey: true, allowNull: false },
    sess: { type: types.JSON, allowNull: false },
    expire: { type: types.DATE, allowNull: false },
    ...(withTenant ? { tenant: { type: types.STRING(32), allowNull: false } } : {}),
  });
}

for (const target of targets()) {
  describe(`${target.tag} adopting a table of one's own (SPEC §2.5)`, () => {
    let sequelize: any;
    const tables: string[] = [];
    const table = (prefix: string) => {
      const name = uniqueTable(prefix);
      tables.push(name);
      return name;
    };
    before(() => {
      sequelize = target.connect();
    });
    after(async () => {
      for (const name of tables) await dropTable(sequelize, name);
      await sequelize.close();
    });

    it('a NOT NULL column without default is refused by name, and nothing is written', async () => {
      const name = table('adopt_nn');
      await createTable(sequelize, name, true);
      const store = openStore(sequelize, { tableName: name });
      try {
        const error = await rejectsWithCode(store.set('nn-1', makeSession(HOUR, { a: 1 })), 'ERR_INVALID_TABLE');
        assert.match(error.message, /`tenant`/);
        assert.doesNotMatch(error.message, /nn-1/);
        // Every operation says so, not only the first.
        await rejectsWithCode(store.get('nn-1'), 'ERR_INVALID_TABLE');
        assert.equal(await rawCount(sequelize, name), 0);
      } finally {
        await store.close();
      }
      // With `extras` filling it, the same table works.
      const filled = openStore(sequelize, { tableName: name, extras: (data) => ({ ...data, tenant: 'acme' }) });
      try {
        await filled.set('nn-2', makeSession(HOUR, { a: 2 }));
        assert.equal(((await filled.get('nn-2')) as any)?.a, 2);
      } finally {
        await filled.close();
      }
    });

    it('a JSON sess column holds sessions as JSON, and a destroy leaves JSON null', async () => {
      const name = table('adopt_json');
      await createTable(sequelize, name, false);
      const store = openStore(sequelize, { tableName: name });
      try {
        await store.set('json-1', makeSession(HOUR, { nested: { deep: [1, 'two'] } }));
        assert.deepEqual(((await store.get('json-1')) as any)?.nested, { deep: [1, 'two'] });
        const stored = (await rawRow(sequelize, name, 'json-1'))!.sess;
        const parsed = typeof stored === 'string' ? JSON.parse(stored) : stored;
        assert.deepEqual(parsed.nested, { deep: [1, 'two'] });
        await store.destroy('json-1');
        assert.equal(await store.get('json-1'), null);
        // A set that was in flight during the logout does not bring the session back.
        await store.set('json-1', makeSession(HOUR, { nested: 'again' }));
        assert.equal(await store.get('json-1'), null);
        assert.equal(await store.length(), 0);
      } finally {
        await store.close();
      }
    });

    // SQLite does not enforce a declared length: a digest fits any column there.
    if (target.dialect !== 'sqlite') it('hashSids on a sid column too short for a digest is refused by name', async () => {
      const name = table('adopt_short');
      await createTable(sequelize, name, false, 36);
      const store = openStore(sequelize, { tableName: name, hashSids: true });
      try {
        const error = await rejectsWithCode(store.set('short-1', makeSession(HOUR)), 'ERR_INVALID_TABLE');
        assert.match(error.message, /column `sid`.* 36/);
        assert.equal(await rawCount(sequelize, name), 0);
      } finally {
        await store.close();
      }
    });

    it('a table made by another instance with expiration.absolute is adopted with its creation times', async () => {
      const name = table('adopt_abs');
      const first = openStore(sequelize, { tableName: name, expiration: { absolute: HOUR } });
      const second = openStore(sequelize, { tableName: name, expiration: { absolute: HOUR } });
      try {
        await first.set('abs-1', makeSession(HOUR, { a: 1 }));
        await second.set('abs-2', makeSession(HOUR, { a: 2 }));
        assert.equal(((await first.get('abs-2')) as any)?.a, 2);
        assert.equal(((await second.get('abs-1')) as any)?.a, 1);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it("the application's sequelize.sync() before the first operation adds no second index on the expiry", async () => {
      const name = table('adopt_idx');
      await createTable(sequelize, name, false);
      const queryInterface = sequelize.queryInterface ?? sequelize.getQueryInterface();
      await queryInterface.addIndex(name, ['expire'], { name: `IDX_${name}_expire` });
      const app: any = target.connect();
      const store = openStore(app, { tableName: name });
      try {
        await app.sync();
        await store.set('idx-1', makeSession(HOUR));
        await store.sync();
        const indexes = (await queryInterface.showIndex(name)) as Array<{ fields?: Array<{ attribute?: string }> }>;
        assert.equal(indexes.filter((index) => index.fields?.[0]?.attribute === 'expire').length, 1);
      } finally {
        await store.close();
        await app.close();
      }
    });

    it('a missing table is created with the default layout, as without adoption', async () => {
      const name = table('adopt_new');
      const store = openStore(sequelize, { tableName: name });
      try {
        await store.set('new-1', makeSession(HOUR, { a: 1 }));
        assert.equal(((await store.get('new-1')) as any)?.a, 1);
        assert.equal(await rawCount(sequelize, name), 1);
      } finally {
        await store.close();
      }
    });

    if (target.dialect !== 'sqlite') {
      it('a read of the table that failed (database down) is retried on the next operation', async () => {
        const name = table('adopt_down');
        await createTable(sequelize, name, false);
        const proxy = new TcpProxy(serverPort(target));
        await proxy.start();
        const port = proxy.port;
        await proxy.stop();
        const log: string[] = [];
        const viaProxy: any = target.connect({ host: '127.0.0.1', port, pool: { max: 2, acquire: 2000 }, logging: (sql: string) => log.push(sql) });
        const store = openStore(viaProxy, { tableName: name, operationTimeout: 4000 });
        try {
          const error = await rejectsWithCode(store.set('down-1', makeSession(HOUR, { a: 1 })), 'ERR_DATABASE');
          assert.equal((error as { transient?: boolean }).transient, true);
          await proxy.start();
          await store.set('down-1', makeSession(HOUR, { a: 1 }));
          assert.equal(((await store.get('down-1')) as any)?.a, 1);
          // Adopted once: later operations are one statement each.
          assert.equal((await statementsDuring(log, () => store.get('down-1'))).length, 1);
        } finally {
          await store.close();
          await proxy.stop();
          await within(viaProxy.close(), 3000);
        }
      });
    }
  });
}

describe('presets', () => {
  const sequelize: any = targets()[0]!.connect();
  after(() => sequelize.close());

  it('an unknown preset is refused with the valid names', () => {
    const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, preset: 'connect-redis' as never }), 'ERR_INVALID_OPTION');
    for (const name of ['connect-pg-simple', 'connect-session-sequelize', 'express-mysql-session', 'connect-session-knex']) {
      assert.ok(error.message.includes(`'${name}'`), error.message);
    }
  });

  it('a preset names the table; tableName and columns given beside it win', async () => {
    const plain = new SequelizeSessionStore({ sequelize, preset: 'connect-session-sequelize', expiration: { interval: false } });
    assert.equal(String(plain.model.getTableName()).replace(/[`"]/g, ''), 'Sessions');
    const table = uniqueTable('preset_override');
    const overridden = new SequelizeSessionStore({
      sequelize,
      preset: 'connect-session-sequelize',
      tableName: table,
      columns: { sess: 'payload' },
      expiration: { interval: false },
    });
    try {
      await overridden.set('ov-1', makeSession(HOUR, { a: 1 }));
      // The preset's sid and expiry names, the given sess name.
      const row = await rawRow(sequelize, table, 'ov-1', { sid: 'sid', sess: 'payload', expire: 'expires' });
      assert.ok(row !== undefined);
    } finally {
      await plain.close();
      await overridden.close();
      await dropTable(sequelize, table);
    }
  });
});
