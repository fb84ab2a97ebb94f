// The supported sqlite3 range (>=5.1.0 <7), tested at both ends: sqlite3 5.1.x (what Sequelize
// declares) and 6.x (what a fresh `npm install sqlite3` gets), through Sequelize v6's `dialectModule`
// and v7's `sqlite3Module`, with the store's whole life cycle on each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SequelizeSessionStore } from '../src/store.js';
import { makeSession, HOUR } from './support/store-kit.js';
import { sqliteFile, targets } from './support/targets.js';

const MODULES = [
  { name: 'sqlite3', major: '5.1.' },
  { name: 'sqlite3-6', major: '6.' },
];

for (const target of targets().filter((candidate) => candidate.dialect === 'sqlite')) {
  for (const { name, major } of MODULES) {
    const { version } = require(`${name}/package.json`) as { version: string };
    describe(`${target.tag} with sqlite3 ${version}`, () => {
      it(`is sqlite3 ${major}x`, () => assert.ok(version.startsWith(major), version));

      it('set, get, touch, all, length, destroy, prune and a reopened file', async () => {
        const module = require(name) as object;
        const storage = sqliteFile(`sqlite3-${version}`);
        const open = () => target.connect(target.major === 'v6' ? { storage, dialectModule: module } : { storage, sqlite3Module: module });
        let sequelize: any = open();
        // The instance loads the module given, not the sqlite3 it would find itself.
        const loaded = target.major === 'v6' ? sequelize.connectionManager.lib : sequelize.dialect.options.sqlite3Module;
        assert.equal(loaded, module);
        let store = new SequelizeSessionStore({ sequelize, expiration: { interval: false } });
        await store.set('a', makeSession(HOUR, { n: 1 }));
        await store.set('b', makeSession(HOUR, { n: 2 }));
        await store.set('old', makeSession(-HOUR));
        assert.equal((await store.get('a'))?.n, 1);
        assert.equal(await store.get('old'), null);
        const later = makeSession(2 * HOUR, { n: 1 });
        await store.touch('a', later);
        assert.equal(new Date((await store.get('a'))!.cookie.expires!).getTime(), new Date(later.cookie.expires!).getTime());
        assert.deepEqual(Object.keys(await store.all()).sort(), ['a', 'b']);
        await store.destroy('b');
        assert.equal(await store.get('b'), null);
        assert.equal(await store.length(), 1);
        assert.equal(await store.cleanExpired(), 1);
        await store.close();
        await sequelize.close();

        // The file outlives the process's connection.
        sequelize = open();
        store = new SequelizeSessionStore({ sequelize, expiration: { interval: false } });
        assert.equal((await store.get('a'))?.n, 1);
        await store.close();
        await sequelize.close();
      });
    });
  }
}
