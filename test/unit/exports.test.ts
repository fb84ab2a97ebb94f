// The package's two entries as built (dist/, what ships): `import` and `require` expose the same
// names bound to the same objects, so there is one store class and `instanceof` holds across them.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Sequelize } from 'sequelize';

const requireBuilt = createRequire(resolve('package.json'));
const cjs = requireBuilt('./dist/index.js');
const loadEsm = () => import(pathToFileURL(resolve('dist/index.mjs')).href);
const sequelize = new Sequelize('sqlite::memory:', { logging: false });
after(() => sequelize.close());

describe('package entries', () => {
  it('ESM and CommonJS expose the same names, bound to the same objects', async () => {
    const esm = await loadEsm();
    const names = (entry: object) => Object.keys(entry).filter((name) => name !== 'default').sort();
    assert.deepEqual(names(esm), names(cjs));
    assert.ok(names(cjs).includes('SequelizeSessionStore'));
    for (const name of names(cjs)) assert.equal(esm[name], cjs[name], name);
    assert.equal(esm.default, cjs);
    assert.equal(cjs.default, cjs);
  });

  it('a store made through either entry is an instance of both entries\' class, and its errors of both error classes', async () => {
    const esm = await loadEsm();
    const viaRequire = new cjs.SequelizeSessionStore({ sequelize, expiration: { interval: false } });
    const viaImport = new esm.SequelizeSessionStore({ sequelize, expiration: { interval: false } });
    try {
      assert.ok(viaRequire instanceof esm.SequelizeSessionStore);
      assert.ok(viaImport instanceof cjs.SequelizeSessionStore);
      const error = await viaImport.get(42 as never).catch((caught: unknown) => caught);
      assert.ok(error instanceof cjs.InvalidInputError);
      assert.ok(error instanceof esm.SessionStoreError);
    } finally {
      await viaRequire.close();
      await viaImport.close();
    }
  });

  it('the classic factory: require(...)(session) returns the class, callable without new', async () => {
    const Store = cjs(undefined);
    assert.equal(Store.prototype, cjs.SequelizeSessionStore.prototype);
    const store = Store({ sequelize, expiration: { interval: false } });
    assert.ok(store instanceof (await loadEsm()).SequelizeSessionStore);
    await store.close();
  });
});
