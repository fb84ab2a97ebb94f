// SPEC §2.1 hashSids/encryption, §2.4 "hashSids", "Encryption keys", "Corrupt rows": secrets at rest.
// Encryption: the raw column never holds the plaintext; tampered, truncated, copied and foreign
// blobs are a miss plus an ERR_CORRUPT_SESSION event, never a throw; keys rotate; wrong keys are
// refused without echoing them (checked once: no database involved); still one statement per
// operation. hashSids: the table holds SHA-256 (or HMAC-SHA-256) hex digests, never the ids; all()
// and destroyWhere's `except` work. A row that cannot be decoded is a miss, reported without its id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { targets, uniqueTable } from './support/targets.js';
import {
  HOUR,
  SequelizeSessionStore,
  connectLogged,
  countStatements,
  defineUserModel,
  dropTable,
  makeSession,
  openStore,
  quoteIdentifier,
  quoteTable,
  rawRow,
  rawSetSess,
  withoutCookie,
} from './support/store-kit.js';

const sha256 = (sid: string) => createHash('sha256').update(sid).digest('hex');

/** The raw sid column of every row of `table`. */
async function rawSids(sequelize: any, table: string): Promise<string[]> {
  const rows = (await sequelize.query(`SELECT ${quoteIdentifier(sequelize, 'sid')} AS k FROM ${quoteTable(sequelize, table)}`, {
    type: 'SELECT',
    raw: true,
    logging: false,
  })) as Array<{ k: unknown }>;
  return rows.map((row) => (Buffer.isBuffer(row.k) ? row.k.toString('utf8') : String(row.k)));
}

/** The same text with one character of the sealed body changed. */
function flipOne(sealed: string): string {
  const index = sealed.lastIndexOf('.') + 20;
  const c = sealed[index]!;
  return sealed.slice(0, index) + (c === 'A' ? 'B' : 'A') + sealed.slice(index + 1);
}

for (const target of targets()) {
  describe(`${target.tag} encryption at rest`, () => {
    const table = uniqueTable('hard_enc');
    const k1 = randomBytes(32);
    const k2 = randomBytes(32).toString('hex');
    const foreign = randomBytes(32);
    let sequelize: any;
    let log: string[];
    const stores: SequelizeSessionStore[] = [];
    const open = (keys: Array<string | Buffer>, extra: Parameters<typeof openStore>[1] = {}) => {
      const store = openStore(sequelize, { tableName: table, encryption: { keys }, ...extra });
      stores.push(store);
      return store;
    };

    before(async () => {
      ({ sequelize, log } = connectLogged(target));
      await open([k1]).sync();
    });

    after(async () => {
      for (const store of stores) await store.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    it('the raw sess column never holds the plaintext; get decrypts it', async () => {
      const store = open([k1]);
      const mark = `PLAINMARK-${randomBytes(6).toString('hex')}`;
      await store.set('enc-plain', makeSession(HOUR, { secret: mark, [mark]: 1 }));
      const raw = await rawRow(sequelize, table, 'enc-plain');
      assert.ok(raw, 'the row exists');
      assert.equal(typeof raw.sess, 'string');
      assert.ok(!String(raw.sess).includes(mark), 'plaintext in the sess column');
      assert.ok(!String(raw.sess).includes('secret'), 'a key name in the sess column');
      assert.deepEqual(withoutCookie(await store.get('enc-plain')), { secret: mark, [mark]: 1 });
      // A fresh nonce per write: the same session twice seals differently.
      await store.set('enc-plain', makeSession(HOUR, { secret: mark, [mark]: 1 }));
      assert.notEqual((await rawRow(sequelize, table, 'enc-plain'))!.sess, raw.sess);
    });

    const tampers: Array<[string, (store: SequelizeSessionStore) => Promise<string>]> = [
      [
        'a tampered blob (one character flipped)',
        async (store) => {
          await store.set('enc-tamper', makeSession(HOUR, { n: 1 }));
          const raw = String((await rawRow(sequelize, table, 'enc-tamper'))!.sess);
          await rawSetSess(sequelize, table, 'enc-tamper', flipOne(raw));
          return 'enc-tamper';
        },
      ],
      [
        'a truncated blob',
        async (store) => {
          await store.set('enc-trunc', makeSession(HOUR, { n: 2 }));
          const raw = String((await rawRow(sequelize, table, 'enc-trunc'))!.sess);
          await rawSetSess(sequelize, table, 'enc-trunc', raw.slice(0, raw.length - 7));
          return 'enc-trunc';
        },
      ],
      [
        'a blob copied from another row (bound to the row id)',
        async (store) => {
          await store.set('enc-row-a', makeSession(HOUR, { owner: 'a' }));
          await store.set('enc-row-b', makeSession(HOUR, { owner: 'b' }));
          const rawA = String((await rawRow(sequelize, table, 'enc-row-a'))!.sess);
          await rawSetSess(sequelize, table, 'enc-row-b', rawA);
          return 'enc-row-b';
        },
      ],
      [
        'a blob under an unknown key',
        async () => {
          await open([foreign]).set('enc-foreign', makeSession(HOUR, { n: 4 }));
          return 'enc-foreign';
        },
      ],
      [
        'a plaintext (unsealed) session',
        async () => {
          await openStore(sequelize, { tableName: table }).set('enc-unsealed', makeSession(HOUR, { n: 5 }));
          return 'enc-unsealed';
        },
      ],
    ];
    for (const [name, tamper] of tampers) {
      it(`${name}: get is a miss plus an ERR_CORRUPT_SESSION event, never a throw`, async () => {
        const store = open([k1]);
        const sid = await tamper(store);
        const events: Array<{ code?: string; message?: string }> = [];
        const listening = open([k1]);
        listening.on('error', (error: { code?: string }) => events.push(error));
        assert.equal(await listening.get(sid), null);
        assert.equal(events.length, 1);
        assert.equal(events[0]!.code, 'ERR_CORRUPT_SESSION');
        assert.ok(!String(events[0]!.message).includes(sid), 'the event names the sid');
        // Without a listener: still a miss, nothing thrown, nothing emitted as an unhandled 'error'.
        assert.equal(await store.get(sid), null);
        const all = await listening.all();
        assert.equal(sid in all, false);
      });
    }

    it('the copied-from row still opens on its own row', async () => {
      assert.deepEqual(withoutCookie(await open([k1]).get('enc-row-a')), { owner: 'a' });
    });

    it('key rotation: [k1] writes; [k2, k1] reads it and writes under k2; [k2] reads the new, not the old', async () => {
      const old = open([k1]);
      await old.set('rot-old', makeSession(HOUR, { era: 'k1' }));
      await old.set('rot-rewritten', makeSession(HOUR, { era: 'k1' }));
      const rotating = open([k2, k1]);
      assert.deepEqual(withoutCookie(await rotating.get('rot-old')), { era: 'k1' });
      await rotating.set('rot-new', makeSession(HOUR, { era: 'k2' }));
      await rotating.set('rot-rewritten', makeSession(HOUR, { era: 'k2' }));
      const only2 = open([k2]);
      only2.on('error', () => {});
      assert.deepEqual(withoutCookie(await only2.get('rot-new')), { era: 'k2' });
      assert.deepEqual(withoutCookie(await only2.get('rot-rewritten')), { era: 'k2' });
      assert.equal(await only2.get('rot-old'), null);
      // And the old store cannot read what was written under k2.
      old.on('error', () => {});
      assert.equal(await old.get('rot-new'), null);
      // The envelope names the key: k1 and k2 envelopes differ in their key id.
      const idOf = async (sid: string) => String((await rawRow(sequelize, table, sid))!.sess).split('.')[1];
      assert.notEqual(await idOf('rot-old'), await idOf('rot-new'));
    });

    it('one SQL statement per get, set, touch and destroy with hashSids and encryption on', async () => {
      const store = openStore(sequelize, { tableName: table, hashSids: true, encryption: { keys: [k1] } });
      stores.push(store);
      await store.sync();
      assert.equal(await countStatements(log, () => store.set('one-stmt', makeSession(HOUR, { n: 1 }))), 1);
      assert.equal(await countStatements(log, () => store.get('one-stmt')), 1);
      assert.equal(await countStatements(log, () => store.touch('one-stmt', makeSession(2 * HOUR, { n: 1 }))), 1);
      assert.equal(await countStatements(log, () => store.destroy('one-stmt')), 1);
      assert.equal(await countStatements(log, () => store.get('one-stmt')), 1);
      assert.equal(await countStatements(log, () => store.set('one-stmt-2', makeSession(HOUR, { n: 2 }))), 1);
      // Sids and contents stay bound: not in the SQL text.
      assert.ok(!log.some((sql) => sql.includes('one-stmt') || sql.includes(sha256('one-stmt'))));
    });
  });

  describe(`${target.tag} hashSids`, () => {
    const table = uniqueTable('hard_hash');
    const hmacTable = uniqueTable('hard_hmac');
    const userTable = uniqueTable('hard_hash_user');
    let sequelize: any;
    const stores: SequelizeSessionStore[] = [];

    before(() => {
      sequelize = target.connect();
    });

    after(async () => {
      for (const store of stores) await store.close();
      for (const name of [table, hmacTable, userTable]) await dropTable(sequelize, name);
      await sequelize?.close();
    });

    it('the table holds the 64-char lowercase hex SHA-256 of each sid, never the id; every method works', async () => {
      const store = openStore(sequelize, { tableName: table, hashSids: true });
      stores.push(store);
      const sids = ['hash-Alpha', 'hash-beta ', 'hash-ünï-😀', "hash-'; DROP TABLE x; --", 'h'.repeat(255)];
      for (const [i, sid] of sids.entries()) await store.set(sid, makeSession(HOUR, { i }));
      const raw = await rawSids(sequelize, table);
      assert.deepEqual([...raw].sort(), sids.map(sha256).sort());
      for (const value of raw) assert.match(value, /^[0-9a-f]{64}$/);
      for (const sid of sids) assert.ok(!raw.includes(sid));
      for (const [i, sid] of sids.entries()) assert.deepEqual(withoutCookie(await store.get(sid)), { i });
      // all() is keyed by the digests.
      const all = await store.all();
      assert.deepEqual(Object.keys(all).sort(), sids.map(sha256).sort());
      assert.deepEqual(withoutCookie(all[sha256(sids[2]!)]), { i: 2 });
      assert.equal(await store.length(), sids.length);
      await store.touch(sids[0]!, makeSession(2 * HOUR, { i: 0 }));
      await store.destroy(sids[1]!);
      assert.equal(await store.get(sids[1]!), null);
      assert.equal(await store.length(), sids.length - 1);
      // The 255-character limit applies to the sid before hashing.
      await assert.rejects(store.set('h'.repeat(256), makeSession(HOUR)), { code: 'ERR_INVALID_SID' });
    });

    it('hashSids: { secret } stores HMAC-SHA256 hex under the secret', async () => {
      const secret = randomBytes(24).toString('base64');
      const store = openStore(sequelize, { tableName: hmacTable, hashSids: { secret } });
      stores.push(store);
      await store.set('hmac-1', makeSession(HOUR, { n: 1 }));
      await store.set('hmac-2', makeSession(HOUR, { n: 2 }));
      const expected = ['hmac-1', 'hmac-2'].map((sid) => createHmac('sha256', Buffer.from(secret, 'utf8')).update(sid).digest('hex'));
      assert.deepEqual((await rawSids(sequelize, hmacTable)).sort(), expected.sort());
      assert.deepEqual(withoutCookie(await store.get('hmac-2')), { n: 2 });
      // A plain-SHA-256 store on the same table finds nothing: the digests differ.
      const plain = openStore(sequelize, { tableName: hmacTable, hashSids: true });
      stores.push(plain);
      assert.equal(await plain.get('hmac-1'), null);
      // A short secret is refused without echoing it.
      assert.throws(
        () => new SequelizeSessionStore({ sequelize, tableName: hmacTable, hashSids: { secret: 'short-secret' } }),
        (error: Error & { code?: string }) => error.code === 'ERR_INVALID_OPTION' && !error.message.includes('short-secret'),
      );
    });

    it("destroyWhere's `except` works with hashing (user model, `userId` filled by extras)", async () => {
      const model = defineUserModel(target, sequelize, userTable);
      await model.sync();
      const store = openStore(sequelize, {
        model,
        hashSids: true,
        extras: (data, session) => {
          data.userId = (session as { userId?: number }).userId ?? null;
        },
      });
      stores.push(store);
      for (const [sid, userId] of [['dw-keep', 42], ['dw-2', 42], ['dw-3', 42], ['dw-other', 7]] as const) {
        await store.set(sid, makeSession(HOUR, { userId }));
      }
      assert.equal(await store.destroyWhere({ userId: 42 }, { except: 'dw-keep' }), 2);
      assert.deepEqual(withoutCookie(await store.get('dw-keep')), { userId: 42 });
      assert.equal(await store.get('dw-2'), null);
      assert.equal(await store.get('dw-3'), null);
      assert.deepEqual(withoutCookie(await store.get('dw-other')), { userId: 7 });
      // The sign-out sticks: a late set of a removed session does not bring it back.
      await store.set('dw-2', makeSession(HOUR, { userId: 42 }));
      assert.equal(await store.get('dw-2'), null);
      const raw = await rawSids(sequelize, userTable);
      for (const sid of ['dw-keep', 'dw-2', 'dw-3', 'dw-other']) {
        assert.ok(raw.includes(sha256(sid)));
        assert.ok(!raw.includes(sid));
      }
    });
  });
}

for (const target of targets()) {
  describe(`${target.tag} corrupt rows`, () => {
    const table = uniqueTable('sec_corrupt');
    let sequelize: any;
    let store: SequelizeSessionStore;

    before(async () => {
      sequelize = connectLogged(target).sequelize;
      store = openStore(sequelize, { tableName: table });
      await store.sync();
    });
    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    describe('corrupt rows', () => {
      it('a row that cannot be decoded is a miss, reported through the error event without id or content', async () => {
        const sid = `corrupt-${Math.random().toString(36).slice(2)}`;
        await store.set(sid, makeSession(HOUR, { v: 1 }));
        await rawSetSess(sequelize, table, sid, '{"this is":GARBAGE-CONTENT');
        const events: Array<Error & { code?: string }> = [];
        const listener = (error: Error & { code?: string }) => events.push(error);
        store.on('error', listener);
        try {
          assert.equal(await store.get(sid), null);
          assert.equal(events.length, 1);
          assert.equal(events[0]!.code, 'ERR_CORRUPT_SESSION');
          assert.ok(!events[0]!.message.includes(sid), 'no session id in the error');
          assert.ok(!events[0]!.message.includes('GARBAGE'), 'no content in the error');
          const all = await store.all();
          assert.ok(!(sid in all), 'all() skips it');
          assert.equal(events.length, 2, 'and reports it');
        } finally {
          store.off('error', listener);
        }
        // Without a listener: still a miss, nothing thrown (an EventEmitter would throw on an unheard 'error').
        assert.equal(await store.get(sid), null);
        // A valid JSON value that is not a session object is corrupt too.
        await store.set(`${sid}-arr`, makeSession(HOUR));
        await rawSetSess(sequelize, table, `${sid}-arr`, '[1,2,3]');
        assert.equal(await store.get(`${sid}-arr`), null);
      });
    });
  });
}

// Key checks look at the options alone, never at the database: they run once.
describe('encryption keys', () => {
  const k1 = randomBytes(32);
  let sequelize: any;
  before(() => {
    sequelize = targets()[0]!.connect();
  });
  after(async () => {
    await sequelize?.close();
  });

  it('wrong keys are refused at construction with ERR_INVALID_OPTION, without echoing the key', () => {
    const hex63 = randomBytes(32).toString('hex').slice(1);
    const short = randomBytes(31);
    const wrong: Array<[string, unknown, string[]]> = [
      ['31 bytes', short, [short.toString('hex'), short.toString('base64'), short.toString('hex').slice(0, 16)]],
      ['63 hex characters', hex63, [hex63, hex63.slice(0, 16)]],
      ['a number', 123456789012345, ['123456789012345']],
      ['65 hex characters', `${hex63}abc`, [hex63.slice(0, 16)]],
      ['a 32-character passphrase', 'correct horse battery staple!!!!', ['correct horse']],
    ];
    for (const [name, key, secrets] of wrong) {
      let caught: (Error & { code?: string }) | undefined;
      try {
        new SequelizeSessionStore({ sequelize, tableName: 'never_made', encryption: { keys: [k1, key as string] }, expiration: { interval: false } });
      } catch (error) {
        caught = error as Error & { code?: string };
      }
      assert.ok(caught, `${name}: accepted`);
      assert.equal(caught.code, 'ERR_INVALID_OPTION', `${name}: ${caught.code} ${caught.message}`);
      assert.match(caught.message, /encryption\.keys\[1\]/);
      for (const secret of secrets) assert.ok(!caught.message.includes(secret), `${name}: the message echoes the key: ${caught.message}`);
      assert.ok(!caught.message.includes(k1.toString('hex').slice(0, 16)), 'the message echoes another key');
    }
    for (const encryption of [{ keys: [] }, { keys: 'x'.repeat(64) }, {}]) {
      assert.throws(
        () => new SequelizeSessionStore({ sequelize, tableName: 'never_made', encryption: encryption as never, expiration: { interval: false } }),
        { code: 'ERR_INVALID_OPTION' },
      );
    }
  });
});
