// The session table as a migration: the sequelize-cli file that `sequelize-session-store migration`
// prints, run by sequelize-cli itself, and the exported sessionTableMigration run by umzug, must
// make exactly the table and index that the store's createTable makes, on every target. Compared
// as the database describes them (the CREATE statements, or the catalog), table names aside.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SequelizeStorage, Umzug } from 'umzug';
import { migrationSource, sessionTableMigration } from '../src/migration.js';
import { SequelizeSessionStore } from '../src/store.js';
import { MARIADB_URL, PG_URL } from './support/servers.cjs';
import { sqliteFile, targets, uniqueTable, type Target } from './support/targets.js';

const execute = promisify(execFile);

/** The table and its indexes as the database itself describes them, with `table` written as T. */
async function describeTable(sequelize: any, dialect: Target['dialect'], table: string): Promise<string[]> {
  const query = (sql: string, replacements: object = {}) => sequelize.query(sql, { type: 'SELECT', replacements }) as Promise<any[]>;
  let lines: string[];
  if (dialect === 'sqlite') {
    const rows = await query('SELECT type, name, sql FROM sqlite_master WHERE tbl_name = :table ORDER BY type, name', { table });
    lines = rows.map((row) => `${row.type} ${row.name}: ${row.sql}`);
  } else if (dialect === 'postgres') {
    const columns = await query(
      `SELECT column_name, data_type, character_maximum_length, datetime_precision, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = :table ORDER BY ordinal_position`,
      { table },
    );
    const indexes = await query('SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :table ORDER BY indexname', { table });
    lines = [...columns.map((row) => JSON.stringify(row)), ...indexes.map((row) => `${row.indexname}: ${row.indexdef}`)];
  } else {
    const [row] = await query(`SHOW CREATE TABLE \`${table}\``);
    lines = String(row['Create Table']).split('\n');
  }
  assert.ok(lines.length > 0, `table ${table} exists`);
  return lines.map((line) => line.split(table).join('T'));
}

async function tableExists(sequelize: any, table: string): Promise<boolean> {
  return (sequelize.queryInterface ?? sequelize.getQueryInterface()).tableExists(table);
}

/** sequelize-cli's configuration for a v6 target, in a file of its own. */
function cliConfig(target: Target, storage: string, meta: string): object {
  const base = { dialect: target.dialect, migrationStorageTableName: meta, logging: false };
  if (target.dialect === 'sqlite') return { ...base, storage };
  const url = new URL(target.dialect === 'postgres' ? PG_URL : MARIADB_URL);
  return {
    ...base,
    host: url.hostname,
    port: Number(url.port),
    database: url.pathname.slice(1),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password) || null,
  };
}

for (const target of targets()) {
  describe(`${target.tag} migration`, () => {
    const storage = sqliteFile('migration');
    let sequelize: any;
    const reference = uniqueTable('mig_ref');
    const dropped: string[] = [reference];
    let expected: string[];

    before(async () => {
      sequelize = target.connect(target.dialect === 'sqlite' ? { storage } : {});
      const store = new SequelizeSessionStore({ sequelize, tableName: reference, expiration: { interval: false } });
      await store.sync();
      await store.close();
      expected = await describeTable(sequelize, target.dialect, reference);
    });

    after(async () => {
      for (const table of dropped) await (sequelize.queryInterface ?? sequelize.getQueryInterface()).dropTable(table);
      await sequelize.close();
    });

    it('umzug with sessionTableMigration: the same table and index as createTable; down drops it', async () => {
      const table = uniqueTable('mig_umzug');
      const meta = uniqueTable('mig_meta');
      dropped.push(table, meta);
      const umzug = new Umzug({
        migrations: [{ name: '0001-sessions', ...sessionTableMigration({ tableName: table }) }],
        context: sequelize.queryInterface ?? sequelize.getQueryInterface(),
        storage: new SequelizeStorage({ sequelize, tableName: meta }),
        logger: undefined,
      });
      assert.deepEqual((await umzug.up()).map((migration) => migration.name), ['0001-sessions']);
      assert.deepEqual(await describeTable(sequelize, target.dialect, table), expected);

      // The table works as the store's: a store on it reads what another wrote.
      const store = new SequelizeSessionStore({ sequelize, tableName: table, createTable: false, expiration: { interval: false } });
      await store.set('migrated', { cookie: { expires: new Date(Date.now() + 60_000) } } as never);
      assert.notEqual(await store.get('migrated'), null);
      await store.close();

      await umzug.down();
      assert.equal(await tableExists(sequelize, table), false);
    });

    it('umzug with a Sequelize instance as context and other column names', async () => {
      const table = uniqueTable('mig_cols');
      dropped.push(table);
      const migration = sessionTableMigration({ tableName: table, columns: { sid: 'id', sess: 'data', expire: 'expires' } });
      await migration.up({ context: sequelize });
      const described = await describeTable(sequelize, target.dialect, table);
      const renamed = expected.map((line) => line.replace(/\bsid\b/g, 'id').replace(/\bsess\b/g, 'data').replace(/\bexpire\b/g, 'expires'));
      // The index keeps the store's name, T_expire, on the renamed column.
      assert.deepEqual(described, renamed.map((line) => line.replace(/T_expires/g, 'T_expire')));
      await migration.down({ context: sequelize });
      assert.equal(await tableExists(sequelize, table), false);
    });

    if (target.major === 'v6') {
      it('sequelize-cli with the printed migrations (types chosen at run time, and fixed to the dialect): the same table; undo drops it', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'sss-migrations-'));
        const chosen = uniqueTable('mig_cli');
        const fixed = uniqueTable('mig_fix');
        const meta = uniqueTable('mig_meta');
        dropped.push(meta);
        try {
          const print = async (...args: string[]) => (await execute(process.execPath, [resolve('dist/cli.js'), 'migration', ...args])).stdout;
          writeFileSync(join(dir, '20260101000000-sessions.js'), await print('--table', chosen));
          writeFileSync(join(dir, '20260101000001-sessions-fixed.js'), await print('--table', fixed, '--dialect', target.dialect));
          writeFileSync(join(dir, 'config.json'), JSON.stringify({ test: cliConfig(target, storage, meta) }));
          const sequelizeCli = (command: string) =>
            execute(
              process.execPath,
              [resolve('node_modules/sequelize-cli/lib/sequelize'), command, '--config', join(dir, 'config.json'), '--env', 'test', '--migrations-path', dir],
              { cwd: dir, timeout: 60_000 },
            );
          await sequelizeCli('db:migrate');
          assert.deepEqual(await describeTable(sequelize, target.dialect, chosen), expected);
          assert.deepEqual(await describeTable(sequelize, target.dialect, fixed), expected);
          await sequelizeCli('db:migrate:undo:all');
          assert.equal(await tableExists(sequelize, chosen), false);
          assert.equal(await tableExists(sequelize, fixed), false);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}

describe('migration source', () => {
  it('is a CommonJS module with up and down, quoting names safely', async () => {
    const source = migrationSource({ tableName: "o'brien", columns: { sess: 'data-x' } }, 'postgres');
    const module = { exports: {} as Record<string, unknown> };
    new Function('module', 'exports', source)(module, module.exports);
    assert.equal(typeof module.exports.up, 'function');
    assert.equal(typeof module.exports.down, 'function');
    assert.match(source, /createTable\('o\\'brien'/);
    assert.match(source, /'data-x': \{ type: sess/);
  });
});
