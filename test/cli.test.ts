// The operators' command line, run as a child process against a real SQLite file and PostgreSQL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SequelizeSessionStore } from '../src/store.js';
import { PG_URL } from './support/servers.cjs';
import { sqliteFile, targets, uniqueTable } from './support/targets.js';
import { makeSession, HOUR } from './support/store-kit.js';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { timeout: 60_000 });

const cases = targets()
  .filter((target) => target.major === 'v6' && (target.dialect === 'sqlite' || target.dialect === 'postgres'))
  .map((target) => {
    const storage = sqliteFile('cli');
    return { target, storage, url: target.dialect === 'sqlite' ? `sqlite:${storage}` : PG_URL };
  });

for (const { target, storage, url } of cases) {
  describe(`${target.tag} command line`, () => {
    const table = uniqueTable('cli');
    const open = () => {
      const sequelize: any = target.connect(target.dialect === 'sqlite' ? { storage } : {});
      return { sequelize, store: (options = {}) => new SequelizeSessionStore({ sequelize, tableName: table, expiration: { interval: false }, ...options }) };
    };

    after(async () => {
      const { sequelize } = open();
      await sequelize.getQueryInterface().dropTable(table);
      await sequelize.close();
    });

    it('create-table, then stats, prune and hash-sids do what they say', async () => {
      assert.match((await cli('create-table', '--url', url, '--table', table)).stdout, new RegExp(`table ${table} is ready`));

      const { sequelize, store } = open();
      const plain = store();
      await plain.set('live-1', makeSession(HOUR, { n: 1 }));
      await plain.set('live-2', makeSession(HOUR, { n: 2 }));
      await plain.set('gone', makeSession(-HOUR));
      await plain.close();

      const stats = (await cli('stats', '--url', url, '--table', table)).stdout;
      assert.match(stats, /active sessions: 2/);
      assert.match(stats, /rows awaiting prune \(expired or signed out\): 1/);
      assert.match((await cli('prune', '--url', url, '--table', table)).stdout, /removed 1 expired session rows/);

      assert.match((await cli('hash-sids', '--url', url, '--table', table)).stdout, /hashed 2 session ids/);
      const hashed = store({ hashSids: true });
      assert.equal((await hashed.get('live-1'))?.n, 1);
      assert.deepEqual(Object.keys(await hashed.all()).sort(), ['live-1', 'live-2'].map((sid) => createHash('sha256').update(sid).digest('hex')).sort());
      await hashed.close();
      await sequelize.close();
    });

    it('says what is wrong in one line and exits non-zero', async () => {
      await assert.rejects(cli('stats'), (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr ?? '', /Missing --url/);
        return true;
      });
      await assert.rejects(cli('prune', '--url', url, '--table', `${table}_missing`), (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.equal((error.stderr ?? '').trim().split('\n').length, 1);
        return true;
      });
    });
  });
}
