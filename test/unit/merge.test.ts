// merge: true on the JavaScript side: the base is the read of this very session object, a set's
// diff is what changed since (the cookie always), and a set without a read of its own writes whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
    assert.deepEqual(reads.diff(session, 'a'), { changed: [['cookie', '{"expires":null}']], removed: [], next: reads.diff(session, 'a')!.next });
  });

  it('no base: a session never read, another object with equal content, or the object under another id', () => {
    const reads = new MergeTracker();
    const session = read();
    reads.read(session, 'a');
    assert.equal(reads.diff(read(), 'a'), undefined);
    assert.equal(reads.diff(session, 'b'), undefined);
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
});
