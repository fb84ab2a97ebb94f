// SPEC §3 "Bad input": sessions that are not objects, cyclic, hold a BigInt or are too large, and
// table names with quotes. Each gets a clear error, writes nothing, the process keeps running, and
// the neighbour session is untouched. (Sids: ids.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { targets, uniqueTable, type Target } from './support/targets.js';
import {
  HOUR,
  SequelizeSessionStore,
  connectLogged,
  dropTable,
  makeSession,
  openStore,
  rawCount,
  rawRow,
  rejectsWithCode,
  withoutCookie,
} from './support/store-kit.js';
import { InvalidInputError } from '../src/errors.js';
import { forDialect } from './support/per-dialect.js';

/** The exact quoting of a table name, done here rather than trusting Sequelize's (v6 strips quotes). */
function exactQuote(target: Target, name: string): string {
  return forDialect(target, { 'mariadb mysql': `\`${name.replaceAll('`', '``')}\``, default: `"${name.replaceAll('"', '""')}"` });
}

async function tableExists(target: Target, sequelize: any, name: string): Promise<boolean> {
  try {
    await sequelize.query(`SELECT COUNT(*) AS n FROM ${exactQuote(target, name)}`, { type: 'SELECT', raw: true, logging: false });
    return true;
  } catch {
    return false;
  }
}

for (const target of targets()) {
  describe(`${target.tag} hostile input`, () => {
    const table = uniqueTable('hard_hostile');
    let sequelize: any;
    let store: SequelizeSessionStore;
    const NEIGHBOUR = 'neighbour-sid';
    let neighbourRaw: { sess: unknown; expire: number } | undefined;

    before(async () => {
      sequelize = target.connect();
      store = openStore(sequelize, { tableName: table, maxSessionBytes: 4096 });
      await store.set(NEIGHBOUR, makeSession(HOUR, { name: 'neighbour', n: 1 }));
      neighbourRaw = await rawRow(sequelize, table, NEIGHBOUR);
    });

    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    /** The neighbour session is intact, byte for byte, and readable. */
    async function neighbourIntact(): Promise<void> {
      assert.deepEqual(await rawRow(sequelize, table, NEIGHBOUR), neighbourRaw);
      assert.deepEqual(withoutCookie(await store.get(NEIGHBOUR)), { name: 'neighbour', n: 1 });
    }

    const badSessions: Array<[string, () => unknown, string]> = [
      [
        'cyclic',
        () => {
          const session: Record<string, unknown> = { ...makeSession(HOUR), a: { b: {} } };
          ((session.a as Record<string, unknown>).b as Record<string, unknown>).back = session;
          return session;
        },
        'ERR_SESSION_NOT_SERIALIZABLE',
      ],
      ['holding a BigInt', () => ({ ...makeSession(HOUR), big: BigInt('12345678901234567890') }), 'ERR_SESSION_NOT_SERIALIZABLE'],
      ['larger than maxSessionBytes', () => makeSession(HOUR, { blob: 'é'.repeat(3000) }), 'ERR_SESSION_TOO_LARGE'],
      ['a toJSON that throws', () => ({ ...makeSession(HOUR), x: { toJSON: () => { throw new Error('boom'); } } }), 'ERR_SESSION_NOT_SERIALIZABLE'],
    ];
    for (const [name, make, code] of badSessions) {
      it(`a session ${name}: set rejects with ${code}, writes nothing, even over an existing session`, async () => {
        const count = await rawCount(sequelize, table);
        await assert.rejects(store.set('bad-session', make() as never), (error: InvalidInputError) => {
          assert.ok(error instanceof InvalidInputError);
          assert.equal(error.code, code);
          return true;
        });
        assert.equal(await rawCount(sequelize, table), count);
        // Over the neighbour: refused, and the neighbour keeps its data.
        await assert.rejects(store.set(NEIGHBOUR, make() as never), { code });
        await neighbourIntact();
      });
    }

    it('non-object sessions are refused with ERR_INVALID_SESSION', async () => {
      for (const session of [null, undefined, 'a string', 42]) {
        await assert.rejects(store.set('non-object', session as never), { code: 'ERR_INVALID_SESSION' });
      }
      await neighbourIntact();
    });

    // The store refuses quoted identifiers at construction (Sequelize v6 would silently strip the
    // quotes and use another table): asserted here, together with "nothing created under either name".
    for (const quote of ['"', '`']) {
      it(`tableName with ${quote}: refused at construction with a clear ERR_INVALID_OPTION; no table created`, async () => {
        const name = uniqueTable(`we${quote}ird`);
        const stripped = name.replaceAll(quote, '');
        assert.throws(
          () => new SequelizeSessionStore({ sequelize, tableName: name, expiration: { interval: false } }),
          (error: Error & { code?: string }) => {
            assert.equal(error.code, 'ERR_INVALID_OPTION', `${error.code}: ${error.message}`);
            assert.match(error.message, /tableName/);
            return true;
          },
        );
        for (const column of ['sid', 'sess', 'expire']) {
          assert.throws(
            () => new SequelizeSessionStore({ sequelize, tableName: table, columns: { [column]: `co${quote}l` }, expiration: { interval: false } }),
            { code: 'ERR_INVALID_OPTION' },
          );
        }
        assert.equal(await tableExists(target, sequelize, name), false);
        assert.equal(await tableExists(target, sequelize, stripped), false);
      });
    }

    it('the process kept running and the neighbour is intact', async () => {
      await neighbourIntact();
    });
  });
}

for (const target of targets()) {
  describe(`${target.tag} bad sessions (SPEC §3)`, () => {
    const table = uniqueTable('bad_sess');
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

    describe('bad input (SPEC §3)', () => {
      it('a session that cannot be serialized (a cycle, a BigInt) is refused and writes nothing', async () => {
        const cyclic: any = makeSession(HOUR, { name: 'cyclic' });
        cyclic.self = cyclic;
        const error = await rejectsWithCode(store.set('bad-cycle', cyclic), 'ERR_SESSION_NOT_SERIALIZABLE');
        assert.doesNotMatch(error.message, /cyclic|bad-cycle/);
        await rejectsWithCode(store.set('bad-bigint', makeSession(HOUR, { n: 10n ** 20n })), 'ERR_SESSION_NOT_SERIALIZABLE');
        assert.equal(await rawRow(sequelize, table, 'bad-cycle'), undefined);
        assert.equal(await rawRow(sequelize, table, 'bad-bigint'), undefined);
        await rejectsWithCode(store.set('bad-null', null as never), 'ERR_INVALID_SESSION');
      });
    });
  });
}
