// Fuzz test (SPEC §2.4 "Ids", §3 "Bad input"): generated sids (any unicode, empty, huge,
// NUL-bearing, lone surrogates, SQL-shaped, around the 255 limit) and sessions (nested JSON,
// unicode keys; some cyclic, BigInt-holding or too large). Property: `set` resolves and `get`
// returns deep-equal data, or `set` rejects with an InvalidInputError of the expected code; get,
// touch and destroy of any string never reject; no database error ever leaks out.
// Sample counts: 10,000 on [v6 sqlite] and [v7 postgres], 250 on the other targets (named in the
// test titles), so the whole matrix stays fast. Samples have distinct sids (a destroyed sid is
// blocked by its logout marker, so a repeated one would not read back).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { targets, uniqueTable, type Target } from './support/targets.js';
import { HOUR, dropTable, openStore, withoutCookie, type SequelizeSessionStore } from './support/store-kit.js';
import { DatabaseError, InvalidInputError } from '../src/errors.js';

const MAX_BYTES = 8192;
const CHUNK = 50;
const SEED = Number(process.env.SSS_FUZZ_SEED ?? 20240606);

const samplesFor = (target: Target) => (target.id === 'v6-sqlite' || target.id === 'v7-postgres' ? 10_000 : 250);

const SQL = ["'; DROP TABLE express_session; --", '" OR ""="', "' OR '1'='1", '`x`', '$1', '$2$1', '?', '\\', '/*', '*/', '--', '%', '_', 'NULL'];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const nasty = fc.constantFrom('\u0000', "'", '"', '`', ';', '--', '\\', '$1', '?', ' ', '%', '\n', '\t', 'é', 'ß', '😀', '\u200b', '\ufeff');
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });

const sidArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.string({ unit: fc.oneof(anyChar, loneSurrogate, nasty), maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), fc.integer({ min: 250, max: 260 }))
      .map(([unit, n]) => unit.repeat(n).slice(0, n)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), fc.integer({ min: 1000, max: 10_240 }))
      .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SQL), fc.string({ unit: 'binary', maxLength: 10 })).map(([a, b]) => a + b) },
);

const payloadArb = fc.dictionary(
  fc.string({ unit: fc.oneof(anyChar, loneSurrogate, nasty), maxLength: 12 }).filter((key) => key !== 'cookie'),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 6 },
);

type Payload = Record<string, unknown>;
const sessionArb: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 30, arbitrary: payloadArb },
  { weight: 1, arbitrary: fc.tuple(payloadArb, fc.integer({ min: 4000, max: 12_000 })).map(([p, n]) => ({ ...p, big: 'é'.repeat(n / 2) })) },
  { weight: 1, arbitrary: payloadArb.map((p) => ({ ...p, n: BigInt(7) })) },
  {
    weight: 1,
    arbitrary: payloadArb.map((p) => {
      const cyclic: Payload = { ...p, inner: {} };
      (cyclic.inner as Payload).back = cyclic;
      return cyclic;
    }),
  },
);

interface Sample {
  sid: string;
  session: Payload;
}

/** `count` samples with distinct sids, deterministic for a seed. */
function generate(count: number, seed: number): Sample[] {
  const seen = new Set<string>();
  const cookie = () => ({ originalMaxAge: HOUR, expires: new Date(Date.now() + HOUR).toISOString(), httpOnly: true, path: '/' });
  const cyclic: Payload = { cookie: cookie() };
  cyclic.self = cyclic;
  // Fixed edge cases first, so every kind is covered however few samples a target runs.
  const samples: Sample[] = [
    { sid: '', session: { cookie: cookie() } },
    { sid: 'x'.repeat(10_240), session: { cookie: cookie() } },
    { sid: 'nul\u0000inside', session: { cookie: cookie() } },
    { sid: 'lone\ud800', session: { cookie: cookie() } },
    { sid: "fixed-'; DROP TABLE t; --", session: { cookie: cookie(), 'ключ\u0000\ud800': { deep: [1, 'два', null] } } },
    { sid: 'fixed-cyclic', session: cyclic },
    { sid: 'fixed-bigint', session: { cookie: cookie(), n: BigInt(1) } },
    { sid: 'fixed-too-large', session: { cookie: cookie(), blob: 'é'.repeat(MAX_BYTES) } },
  ];
  for (const sample of samples) seen.add(sample.sid);
  for (let round = 0; samples.length < count && round < 50; round++) {
    for (const [sid, payload] of fc.sample(fc.tuple(sidArb, sessionArb), { numRuns: count, seed: seed + round })) {
      if (seen.has(sid)) continue;
      seen.add(sid);
      const cookie = { originalMaxAge: HOUR, expires: new Date(Date.now() + HOUR).toISOString(), httpOnly: true, path: '/' };
      samples.push({ sid, session: { cookie, ...payload } });
      if (samples.length === count) break;
    }
  }
  assert.equal(samples.length, count);
  return samples;
}

const validSid = (sid: string) => sid.length > 0 && sid.length <= 255 && !sid.includes('\u0000') && sid.isWellFormed();

/** What `set` must do with the sample: the InvalidInputError code it must reject with, or 'ok'. */
function expected(sample: Sample): string {
  if (!validSid(sample.sid)) return 'ERR_INVALID_SID';
  let text: string;
  try {
    text = JSON.stringify(sample.session);
  } catch {
    return 'ERR_SESSION_NOT_SERIALIZABLE';
  }
  return Buffer.byteLength(text) > MAX_BYTES ? 'ERR_SESSION_TOO_LARGE' : 'ok';
}

const show = (sid: string) => JSON.stringify(sid.length > 60 ? `${sid.slice(0, 60)}…(${sid.length})` : sid);

for (const target of targets()) {
  const count = samplesFor(target);
  describe(`${target.tag} fuzz (${count.toLocaleString('en')} generated sids and sessions)`, () => {
    const table = uniqueTable('hard_fuzz');
    let sequelize: any;
    let store: SequelizeSessionStore;
    let samples: Sample[];

    before(async () => {
      sequelize = target.connect({ pool: { max: target.dialect === 'sqlite' ? 1 : 10 } });
      // SQLite syncs every write to disk by default: ~5 ms a statement. The property is about
      // values, not durability, so the fuzz run skips the fsyncs (the connection is reused).
      if (target.dialect === 'sqlite') await sequelize.query('PRAGMA synchronous = OFF', { raw: true });
      store = openStore(sequelize, { tableName: table, maxSessionBytes: MAX_BYTES });
      await store.sync();
      samples = generate(count, SEED + target.id.length);
    });

    after(async () => {
      await store?.close();
      await dropTable(sequelize, table);
      await sequelize?.close();
    });

    it(`${count.toLocaleString('en')} samples: set resolves and reads back deep-equal, or rejects with the right InvalidInputError; get/touch/destroy never reject`, async () => {
      const outcomes = new Map<string, number>();
      const problems: string[] = [];
      async function check(sample: Sample, index: number): Promise<void> {
        const want = expected(sample);
        outcomes.set(want, (outcomes.get(want) ?? 0) + 1);
        const where = `sample #${index} sid ${show(sample.sid)}`;
        let got: string;
        try {
          await store.set(sample.sid, sample.session as never);
          got = 'ok';
        } catch (error) {
          if (error instanceof DatabaseError || !(error instanceof InvalidInputError)) {
            problems.push(`${where}: set threw ${(error as Error)?.name} ${(error as { code?: string })?.code}: ${(error as Error)?.message}`);
            return;
          }
          got = error.code;
        }
        if (got !== want) {
          problems.push(`${where}: set gave ${got}, expected ${want}`);
          return;
        }
        try {
          const read = await store.get(sample.sid);
          if (want === 'ok') {
            assert.deepEqual(withoutCookie(read), withoutCookie(JSON.parse(JSON.stringify(sample.session))));
          } else {
            assert.equal(read, null);
          }
          // One in ten also goes through touch, destroy, and a read after the destroy (the
          // property test below runs those three on arbitrary strings as well).
          if (index % 10 === 0) {
            await store.touch(sample.sid, sample.session as never);
            await store.destroy(sample.sid);
            assert.equal(await store.get(sample.sid), null);
          }
        } catch (error) {
          problems.push(`${where}: ${(error as Error)?.name} ${(error as { code?: string })?.code}: ${(error as Error)?.message?.slice(0, 300)}`);
        }
      }
      for (let start = 0; start < samples.length && problems.length < 20; start += CHUNK) {
        await Promise.all(samples.slice(start, start + CHUNK).map((sample, i) => check(sample, start + i)));
      }
      assert.deepEqual(problems, []);
      // The generator really covered every branch.
      for (const kind of ['ok', 'ERR_INVALID_SID', 'ERR_SESSION_NOT_SERIALIZABLE', 'ERR_SESSION_TOO_LARGE']) {
        assert.ok((outcomes.get(kind) ?? 0) > 0, `no sample of kind ${kind}: ${JSON.stringify([...outcomes])}`);
      }
    });

    it('get, touch and destroy of arbitrary strings (fc.asyncProperty) never reject', async () => {
      await fc.assert(
        fc.asyncProperty(sidArb, async (sid) => {
          const read = await store.get(sid);
          assert.ok(read === null || typeof read === 'object');
          await store.touch(sid, { cookie: { originalMaxAge: HOUR, expires: new Date(Date.now() + HOUR).toISOString() } } as never);
          await store.destroy(sid);
        }),
        { numRuns: 200, seed: SEED },
      );
    });
  });
}
