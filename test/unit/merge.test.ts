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
});
