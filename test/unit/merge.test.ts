// merge: true on the JavaScript side: the base is the read of this very session object, a set's
// diff is what changed since (the cookie always), and a set without a read of its own writes whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import session from 'express-session';
import fc from 'fast-check';
import { MergeTracker } from '../../src/merge.js';

const read = () => ({ cookie: { expires: null }, cart: [1], flash: 'hi', seen: null as unknown });

describe('MergeTracker', () => {
  it('diffs a session against its own read: changed keys (a real null too), removed keys, the cookie always', () => {
    const reads = new MergeTracker();
    const session: Record<string, unknown> = read();
    reads.read(session, 'a');
    session.cart = [1, 2];
    delete session.flash;
    session.added = null;
    const diff = reads.diff(session, 'a')!;
    assert.deepEqual(diff.changed, [['cookie', '{"expires":null}'], ['cart', '[1,2]'], ['added', 'null']]);
    assert.deepEqual(diff.removed, ['flash']);
  });

  it('an unchanged session writes only its cookie', () => {
    const reads = new MergeTracker();
    const session = read();
    reads.read(session, 'a');
    const { next, text } = reads.diff(session, 'a')!;
    assert.deepEqual(reads.diff(session, 'a'), { changed: [['cookie', '{"expires":null}']], removed: [], next, read: undefined, text });
  });

  it('no base: a session never read, another object with equal content, or the object under another id', () => {
    const reads = new MergeTracker();
    const session = read();
    reads.read(session, 'a');
    assert.equal(reads.diff(read(), 'a'), undefined);
    assert.equal(reads.diff(session, 'b'), undefined);
  });

  it("the row's text as get returned it goes with the diff of the session built from it, and not past a write", () => {
    const reads = new MergeTracker();
    const data = read();
    reads.fetched(data, '{"stored":"text"}');
    const session: Record<string, unknown> = { ...data };
    reads.read(session, 'a', data);
    const diff = reads.diff(session, 'a')!;
    assert.equal(diff.read, '{"stored":"text"}');
    reads.wrote(session, diff);
    assert.equal(reads.diff(session, 'a')!.read, undefined);
    // A session built from something get did not return has no stored text.
    const other: Record<string, unknown> = read();
    reads.read(other, 'a', read());
    assert.equal(reads.diff(other, 'a')!.read, undefined);
  });

  it('after a write has landed, a second save of the same object diffs against what it wrote', () => {
    const reads = new MergeTracker();
    const session: Record<string, unknown> = read();
    reads.read(session, 'a');
    session.cart = [9];
    reads.wrote(session, reads.diff(session, 'a')!);
    assert.deepEqual(reads.diff(session, 'a')!.changed, [['cookie', '{"expires":null}']]);
    delete session.cart;
    assert.deepEqual(reads.diff(session, 'a')!.removed, ['cart']);
  });

  it('the whole text of a diff is what JSON.stringify writes of the session (the row where no merge applies)', () => {
    // Values JSON.stringify leaves out (undefined, functions), dates, nested objects, keys that need escapes.
    const value = fc.oneof(
      fc.jsonValue(),
      fc.constant(undefined),
      fc.constant(() => 1),
      fc.date({ noInvalidDate: true }),
      fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
    );
    const store = new session.MemoryStore();
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), value, { maxKeys: 8 }), fc.dictionary(fc.string(), value, { maxKeys: 4 }), (stored, changes) => {
        const reads = new MergeTracker();
        // As express-session builds it from a read: a Session with its Cookie.
        const request = { sessionID: 'a' } as never;
        const built = store.createSession(request, { ...stored, cookie: { originalMaxAge: 1000, expires: new Date(0).toISOString() } } as never) as unknown as Record<string, unknown>;
        reads.read(built, 'a');
        Object.assign(built, changes);
        const diff = reads.diff(built, 'a');
        if (diff === undefined) return typeof built.toJSON === 'function';
        return diff.text === JSON.stringify(built);
      }),
      { numRuns: 500 },
    );
  });

  it("a base taken from the row's text (split when the object is set) gives the diff a snapshot taken at read gives", () => {
    const value = fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }));
    const store = new session.MemoryStore();
    // A key named like a Session member (toString, save, __proto__) never reaches the session object: below.
    const probe = store.createSession({ sessionID: 'a' } as never, { cookie: {} } as never);
    const key = fc.string({ unit: 'binary' }).filter((name) => !(name in probe));
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.jsonValue(), { maxKeys: 8 }),
        fc.dictionary(fc.string(), value, { maxKeys: 4 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.constantFrom(undefined, 2),
        (stored, changes, deletions, indent) => {
          const cookie = { originalMaxAge: 1000, expires: new Date(0).toISOString() };
          // The row as another writer may have laid it out (spaces), and as get decodes it.
          const text = JSON.stringify({ ...stored, cookie }, null, indent);
          const build = () => {
            const data = JSON.parse(text) as Record<string, unknown>;
            return { data, built: store.createSession({ sessionID: 'a' } as never, data as never) as unknown as Record<string, unknown> };
          };
          const lazy = new MergeTracker();
          const eager = new MergeTracker();
          const fromText = build();
          lazy.fetched(fromText.data, text);
          lazy.read(fromText.built, 'a', fromText.data);
          const fromSnapshot = build();
          eager.read(fromSnapshot.built, 'a');
          for (const built of [fromText.built, fromSnapshot.built]) {
            const keys = Object.keys(built).filter((key) => key !== 'cookie');
            for (const n of deletions) if (keys.length > 0) delete built[keys[n % keys.length]!];
            Object.assign(built, structuredClone(changes));
          }
          const a = lazy.diff(fromText.built, 'a');
          const b = eager.diff(fromSnapshot.built, 'a');
          assert.deepEqual(a?.changed, b?.changed);
          assert.deepEqual(a?.removed, b?.removed);
          assert.equal(a?.text, b?.text);
          assert.equal(a?.read, text);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a stored key the session object never took (named like a Session member) is removed, as a whole write leaves it out", () => {
    const reads = new MergeTracker();
    const text = '{"cookie":{"originalMaxAge":1000},"toString":[],"n":1}';
    const data = JSON.parse(text) as Record<string, unknown>;
    reads.fetched(data, text);
    const built = new session.MemoryStore().createSession({ sessionID: 'a' } as never, data as never) as unknown as Record<string, unknown>;
    reads.read(built, 'a', data);
    assert.deepEqual(reads.diff(built, 'a')!.removed, ['toString']);
  });

  it('the base is kept on the object where nothing else sees it: JSON, keys, spreads and deep equality are unchanged', () => {
    const reads = new MergeTracker();
    const data = read();
    reads.fetched(data, JSON.stringify(data));
    const built: Record<string, unknown> = { ...data };
    reads.read(built, 'a', data);
    assert.deepEqual(data, read());
    assert.deepEqual(built, read());
    assert.deepEqual(Object.keys(built), Object.keys(read()));
    assert.equal(JSON.stringify(built), JSON.stringify(read()));
    // A copy is another object: it has no read of its own.
    assert.equal(reads.diff({ ...built }, 'a'), undefined);
    // Another store's tracker does not see this one's reads.
    assert.equal(new MergeTracker().diff(built, 'a'), undefined);
  });

  it('a frozen object keeps no read: its set writes whole, and nothing throws', () => {
    const reads = new MergeTracker();
    const data = Object.freeze(read());
    reads.fetched(data, JSON.stringify(data));
    const frozen = Object.freeze({ ...data });
    reads.read(frozen, 'a', data);
    assert.equal(reads.diff(frozen, 'a'), undefined);
    // Frozen after its read: the write's new base is refused, the read's stays.
    const session: Record<string, unknown> = read();
    reads.read(session, 'a');
    session.cart = [2];
    const diff = reads.diff(session, 'a')!;
    Object.freeze(session);
    reads.wrote(session, diff);
    assert.deepEqual(reads.diff(session, 'a')!.changed.map(([key]) => key), ['cookie', 'cart']);
  });

  it('a session that JSON.stringify refuses (a cycle, a BigInt) throws from diff as from JSON.stringify', () => {
    const reads = new MergeTracker();
    const cyclic: Record<string, unknown> = read();
    reads.read(cyclic, 'a');
    cyclic.self = cyclic;
    assert.throws(() => reads.diff(cyclic, 'a'), TypeError);
    const big: Record<string, unknown> = read();
    reads.read(big, 'a');
    big.n = 1n;
    assert.throws(() => reads.diff(big, 'a'), TypeError);
  });

  describe('sinceRead: the read as a text, for a database that compares it itself', () => {
    it("the row's text as get returned it, and the whole session as JSON.stringify writes it", () => {
      const reads = new MergeTracker();
      const data = read();
      const row = '{"cookie":{"expires":null}, "cart":[1],"flash":"hi","seen":null}';
      reads.fetched(data, row);
      const session: Record<string, unknown> = { ...data };
      reads.read(session, 'a', data);
      session.cart = [1, 2];
      const since = reads.sinceRead(session, 'a')!;
      assert.equal(since.read, row);
      assert.equal(since.text, JSON.stringify(session));
      assert.deepEqual([since.changed, since.removed], [[], []]);
    });

    it('without a row text, the keys as read (the cookie left out); after a write, what that write sent', () => {
      const reads = new MergeTracker();
      const session: Record<string, unknown> = read();
      reads.read(session, 'a');
      session.flash = 'bye';
      const first = reads.sinceRead(session, 'a')!;
      assert.deepEqual(JSON.parse(first.read!), { cart: [1], flash: 'hi', seen: null });
      reads.wrote(session, first);
      session.cart = [];
      assert.equal(reads.sinceRead(session, 'a')!.read, first.text);
      // A read of no keys but the cookie is an empty object.
      const bare: Record<string, unknown> = { cookie: {} };
      reads.read(bare, 'b');
      assert.equal(reads.sinceRead(bare, 'b')!.read, '{}');
    });

    it('no read, another id or a toJSON of its own: undefined (whole); what JSON.stringify refuses throws', () => {
      const reads = new MergeTracker();
      assert.equal(reads.sinceRead(read(), 'a'), undefined);
      const session: Record<string, unknown> = read();
      reads.read(session, 'a');
      assert.equal(reads.sinceRead(session, 'b'), undefined);
      const own: Record<string, unknown> = { ...read(), toJSON: () => ({}) };
      reads.read(own, 'a');
      assert.equal(reads.sinceRead(own, 'a'), undefined);
      session.self = session;
      assert.throws(() => reads.sinceRead(session, 'a'), TypeError);
    });
  });
});
