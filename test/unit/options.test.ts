// Option validation and defaults, without a server (the instance is a real Sequelize that never
// connects): every refusal is a ConfigurationError naming the option, and never echoes a secret.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Sequelize } from 'sequelize';
import { ConfigurationError } from '../../src/errors.js';
import { checkHashSids, resolveOptions } from '../../src/options.js';

const sequelize = new Sequelize('sqlite::memory:', { logging: false });
after(() => sequelize.close());

function refused(options: unknown, code: string, message: RegExp, secret?: string) {
  assert.throws(
    () => resolveOptions(options),
    (error: unknown) => {
      assert.ok(error instanceof ConfigurationError, String(error));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      if (secret !== undefined) assert.ok(!error.message.includes(secret), 'the secret is not echoed');
      return true;
    },
  );
}

describe('resolveOptions', () => {
  it('defaults every option', () => {
    const options = resolveOptions({ sequelize });
    assert.equal(options.sequelize, sequelize);
    assert.equal(options.tableName, 'express_session');
    assert.deepEqual(options.columns, { sid: 'sid', sess: 'sess', expire: 'expire' });
    assert.equal(options.pruneInterval, 15 * 60_000);
    assert.equal(options.life, 24 * 60 * 60_000);
    assert.equal(options.absolute, undefined);
    assert.equal(options.touchAfter, 0);
    assert.equal(options.disableTouch, false);
    assert.equal(options.serializer, JSON);
    assert.equal(options.createTable, true);
    assert.equal(options.maxSessionBytes, 1024 * 1024);
    assert.equal(options.hashSids, undefined);
    assert.equal(options.encryption, undefined);
    assert.equal(options.operationTimeout, 5_000);
    assert.equal(options.shared, false);
    assert.ok(Object.isFrozen(options));
  });

  it('`db` is an alias; a preset, a table name or column names make the table shared', () => {
    assert.equal(resolveOptions({ db: sequelize }).sequelize, sequelize);
    assert.equal(resolveOptions({ sequelize, tableName: 't' }).shared, true);
    assert.equal(resolveOptions({ sequelize, columns: { sess: 'data' } }).shared, true);
    const preset = resolveOptions({ sequelize, preset: 'connect-pg-simple' });
    assert.equal(preset.shared, true);
    assert.equal(preset.tableName, 'session');
    assert.equal(resolveOptions({ sequelize, expiration: { interval: false } }).pruneInterval, 0);
  });

  it('refuses a missing or foreign instance, and two different ones', () => {
    refused(undefined, 'ERR_INVALID_SEQUELIZE', /required/);
    refused({}, 'ERR_INVALID_SEQUELIZE', /required/);
    refused({ sequelize: { query() {} } }, 'ERR_INVALID_SEQUELIZE', /Sequelize instance/);
    refused({ sequelize, db: new Sequelize('sqlite::memory:') }, 'ERR_INVALID_OPTION', /`sequelize` and `db`/);
  });

  it('refuses an unknown option, with the replacement of a connect-session-sequelize one', () => {
    refused({ sequelize, colour: 1 }, 'ERR_INVALID_OPTION', /Unknown option `colour`$/);
    refused({ sequelize, checkExpirationInterval: 1 }, 'ERR_INVALID_OPTION', /`expiration\.interval`/);
    refused({ sequelize, columns: { id: 'x' } }, 'ERR_INVALID_OPTION', /`columns\.id`/);
    refused({ sequelize, expiration: { ttl: 1 } }, 'ERR_INVALID_OPTION', /`expiration\.ttl`/);
  });

  it('refuses a value of the wrong kind, naming the option', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ tableName: 'a"b' }, /`tableName`/],
      [{ columns: { sid: '' } }, /`columns\.sid`/],
      [{ preset: 'connect-redis' }, /`preset`/],
      [{ expiration: { interval: -1 } }, /`expiration\.interval`/],
      [{ expiration: { interval: 2 ** 31 } }, /`expiration\.interval`/],
      [{ expiration: { life: 0 } }, /`expiration\.life`/],
      [{ expiration: { absolute: Number.NaN } }, /`expiration\.absolute`/],
      [{ extras: {} }, /`extras`/],
      [{ touchAfter: -5 }, /`touchAfter`/],
      [{ maxSessionBytes: 0 }, /`maxSessionBytes`/],
      [{ serializer: { stringify: JSON.stringify } }, /`serializer`/],
      [{ operationTimeout: 0 }, /`operationTimeout`/],
      [{ disableTouch: 'yes' }, /`disableTouch`/],
      [{ createTable: 1 }, /`createTable`/],
      [{ hashSids: 'yes' }, /`hashSids`/],
      [{ model: {} }, /`model`/],
    ];
    for (const [options, message] of cases) refused({ sequelize, ...options }, options.model ? 'ERR_INVALID_MODEL' : 'ERR_INVALID_OPTION', message);
  });

  it('checks hashSids and encryption secrets without echoing them', () => {
    refused({ sequelize, hashSids: { secret: 'short-secret' } }, 'ERR_INVALID_OPTION', /`hashSids\.secret`/, 'short-secret');
    refused({ sequelize, encryption: { keys: [] } }, 'ERR_INVALID_OPTION', /`encryption`/);
    refused({ sequelize, encryption: {} }, 'ERR_INVALID_OPTION', /`encryption`/);
    const almost = 'ab'.repeat(31) + 'zz';
    refused({ sequelize, encryption: { keys: ['00'.repeat(32), almost] } }, 'ERR_INVALID_OPTION', /`encryption\.keys\[1\]`/, almost);
    refused({ sequelize, encryption: { keys: [Buffer.alloc(16)] } }, 'ERR_INVALID_OPTION', /`encryption\.keys\[0\]`/);
  });

  it('resolves hashSids and encryption to the bytes of their secrets', () => {
    assert.equal(resolveOptions({ sequelize, hashSids: true }).hashSids, true);
    assert.equal(resolveOptions({ sequelize, hashSids: false }).hashSids, undefined);
    assert.deepEqual(resolveOptions({ sequelize, hashSids: { secret: 'sixteen chars!!!' } }).hashSids, Buffer.from('sixteen chars!!!'));
    const key = Buffer.alloc(32, 7);
    assert.deepEqual(resolveOptions({ sequelize, encryption: { keys: ['07'.repeat(32), key] } }).encryption, [key, key]);
    assert.deepEqual(checkHashSids({ secret: Buffer.alloc(16, 1) }), Buffer.alloc(16, 1));
  });
});
