// SPEC §2.1: `sequelize` / `db`, `serializer` and `maxSessionBytes`, and the constructor's refusal
// of every invalid option (checked once: it looks at the options, not at the database). The other
// options have the file of their behaviour: model-and-columns (model, tableName, columns, extras,
// createTable), expiry-and-touch (expiration, disableTouch, touchAfter), security (hashSids,
// encryption), faults and execution (operationTimeout).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  SequelizeSessionStore,
  connectLogged,
  dropTable,
  makeSession,
  openStore,
  rawRow,
  rejectsWithCode,
  throwsWithCode,
  withoutCookie,
} from './support/store-kit.js';

for (const target of targets()) {
  describe(`${target.tag} options`, () => {
    let sequelize: any;
    const tables: string[] = [];
    const stores: SequelizeSessionStore[] = [];
    /** A new table name this file drops at the end. */
    const table = (prefix: string) => {
      const name = uniqueTable(prefix);
      tables.push(name);
      return name;
    };
    const store = (options: Parameters<typeof openStore>[1]) => {
      const s = openStore(sequelize, options);
      stores.push(s);
      return s;
    };

    before(() => {
      sequelize = connectLogged(target).sequelize;
    });
    after(async () => {
      for (const s of stores) await s.close();
      for (const name of tables.reverse()) await dropTable(sequelize, name);
      await sequelize?.close();
    });

    describe('sequelize / db', () => {
      it('`db` is an alias of `sequelize`', async () => {
        const s = new SequelizeSessionStore({ db: sequelize, tableName: table('opt_db'), expiration: { interval: false } });
        stores.push(s);
        await s.set('via-db', makeSession(HOUR, { ok: true }));
        assert.deepEqual(withoutCookie(await s.get('via-db')), { ok: true });
      });

      it('both given and the same instance is fine; two different instances are refused', () => {
        const s = new SequelizeSessionStore({ sequelize, db: sequelize, tableName: table('opt_both'), expiration: { interval: false } });
        stores.push(s);
        const other = target.connect();
        try {
          const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, db: other }), 'ERR_INVALID_OPTION');
          assert.match(error.message, /sequelize/);
          assert.match(error.message, /db/);
        } finally {
          void (other as any).close();
        }
      });

      it('missing, or not a Sequelize instance: the constructor says so', () => {
        // @ts-expect-error -- the options type requires `sequelize`; JavaScript callers get the runtime check tested here
        const missing = throwsWithCode(() => new SequelizeSessionStore({}), 'ERR_INVALID_SEQUELIZE');
        assert.match(missing.message, /sequelize/i);
        assert.match(missing.message, /required/i);
        const wrong = throwsWithCode(() => new SequelizeSessionStore({ sequelize: { query() {} } as never }), 'ERR_INVALID_SEQUELIZE');
        assert.match(wrong.message, /Sequelize instance/);
        throwsWithCode(() => new SequelizeSessionStore({ db: 'postgres://x' as never }), 'ERR_INVALID_SEQUELIZE');
      });
    });

    it('serializer: a custom one writes the sess column and reads it back', async () => {
      const name = table('opt_ser');
      const serializer = {
        stringify: (value: unknown) => `v1:${Buffer.from(JSON.stringify(value)).toString('base64')}`,
        parse: (text: string) => {
          assert.ok(text.startsWith('v1:'), 'parse gets what stringify made');
          return JSON.parse(Buffer.from(text.slice(3), 'base64').toString());
        },
      };
      const s = store({ tableName: name, serializer });
      await s.set('ser', makeSession(HOUR, { hello: 'world' }));
      const row = await rawRow(sequelize, name, 'ser');
      assert.match(String(row!.sess), /^v1:[A-Za-z0-9+/=]+$/);
      assert.equal(JSON.parse(Buffer.from(String(row!.sess).slice(3), 'base64').toString()).hello, 'world');
      assert.equal((await s.get('ser') as any).hello, 'world');
    });

    it('maxSessionBytes: a larger session is refused with ERR_SESSION_TOO_LARGE and nothing is written', async () => {
      const name = table('opt_max');
      const s = store({ tableName: name, maxSessionBytes: 1000 });
      await s.set('fits', makeSession(HOUR, { blob: 'x'.repeat(500) }));
      assert.ok(await s.get('fits'));
      const error = await rejectsWithCode(s.set('big', makeSession(HOUR, { blob: 'y'.repeat(2000) })), 'ERR_SESSION_TOO_LARGE');
      assert.doesNotMatch(error.message, /yyyy/);
      assert.equal(await rawRow(sequelize, name, 'big'), undefined);
      // Bytes, not characters: 400 × 'é' (2 bytes each) plus the cookie is more than 1000 bytes... or not, per its UTF-8.
      await rejectsWithCode(s.set('fits', makeSession(HOUR, { blob: 'é'.repeat(600) })), 'ERR_SESSION_TOO_LARGE');
      assert.equal((await s.get('fits') as any).blob, 'x'.repeat(500), 'the existing session is untouched');
      // The default (1 MiB) allows large sessions, here 512 KiB, which a 64 KB TEXT could not hold.
      const dflt = store({ tableName: name });
      await dflt.set('half-mb', makeSession(HOUR, { blob: 'z'.repeat(512 * 1024) }));
      assert.equal(((await dflt.get('half-mb')) as any).blob.length, 512 * 1024);
      await rejectsWithCode(dflt.set('two-mb', makeSession(HOUR, { blob: 'z'.repeat(1100 * 1024) })), 'ERR_SESSION_TOO_LARGE');
    });
  });
}

// Refusals at construction look at the options alone, never at the database: they run once.
describe('invalid options are refused at construction (ERR_INVALID_OPTION naming the path and the type)', () => {
  let sequelize: any;
  before(() => {
    sequelize = targets()[0]!.connect();
  });
  after(async () => {
    await sequelize?.close();
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['expiration.interval', { expiration: { interval: -5 } }, /number/],
    ['expiration.interval', { expiration: { interval: 'often' } }, /string/],
    ['expiration.interval', { expiration: { interval: true } }, /boolean/],
    ['expiration.interval', { expiration: { interval: Number.NaN } }, /number/],
    ['expiration.life', { expiration: { life: 0 } }, /number/],
    ['expiration.life', { expiration: { life: '1d' } }, /string/],
    ['expiration', { expiration: 5 }, /number/],
    ['touchAfter', { touchAfter: -1 }, /number/],
    ['touchAfter', { touchAfter: '1h' }, /string/],
    ['maxSessionBytes', { maxSessionBytes: 0 }, /number/],
    ['maxSessionBytes', { maxSessionBytes: '1mb' }, /string/],
    ['disableTouch', { disableTouch: 'yes' }, /string/],
    ['createTable', { createTable: 1 }, /number/],
    ['tableName', { tableName: '' }, /string/],
    ['tableName', { tableName: 42 }, /number/],
    ['columns', { columns: 'sid' }, /string/],
    ['columns.sid', { columns: { sid: 5 } }, /number/],
    ['columns.sess', { columns: { sess: null } }, /null/],
    ['extras', { extras: 'fn' }, /string/],
    ['serializer', { serializer: {} }, /object/],
    ['serializer', { serializer: { stringify: JSON.stringify } }, /object/],
  ];
  for (const [path, options, type] of cases) {
    it(`${path} = ${JSON.stringify(Object.values(options)[0])}`, () => {
      const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, ...options } as never), 'ERR_INVALID_OPTION');
      assert.ok(error.message.includes(`\`${path}\``), `the message names \`${path}\`: ${error.message}`);
      assert.match(error.message, type, `the message names the type: ${error.message}`);
    });
  }

  it('unknown options are named (with a migration hint for connect-session-sequelize options)', () => {
    const error = throwsWithCode(() => new SequelizeSessionStore({ sequelize, checkExpirationInterval: 1000 } as never), 'ERR_INVALID_OPTION');
    assert.match(error.message, /checkExpirationInterval/);
    assert.match(error.message, /expiration\.interval/);
    assert.match(throwsWithCode(() => new SequelizeSessionStore({ sequelize, tabelName: 'x' } as never), 'ERR_INVALID_OPTION').message, /tabelName/);
    assert.match(throwsWithCode(() => new SequelizeSessionStore({ sequelize, expiration: { every: 1 } } as never), 'ERR_INVALID_OPTION').message, /expiration\.every/);
    assert.match(throwsWithCode(() => new SequelizeSessionStore({ sequelize, columns: { data: 'x' } } as never), 'ERR_INVALID_OPTION').message, /columns\.data/);
  });

  it('options that are not an object (none at all: the instance is what is missing)', () => {
    throwsWithCode(() => new (SequelizeSessionStore as any)(), 'ERR_INVALID_SEQUELIZE');
    throwsWithCode(() => new (SequelizeSessionStore as any)('sqlite://x'), 'ERR_INVALID_OPTION');
  });
});
