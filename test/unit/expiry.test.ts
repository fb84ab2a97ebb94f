// Session time without a server: a session's expiry, the touchAfter decision and the memory of
// stored expiries that lets a touch write nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionData } from 'express-session';
import { expiryOf, hasExpires, KnownExpiries, toMs, touchNeeded } from '../../src/expiry.js';

const NOW = Date.UTC(2030, 5, 1);
const LIFE = 3_600_000;
const withExpires = (expires: unknown) => ({ cookie: { expires } }) as unknown as SessionData;

describe('expiryOf', () => {
  it("is the cookie's expires, as a Date, its ISO text or ms", () => {
    const at = NOW + 42_000;
    assert.equal(expiryOf(withExpires(new Date(at)), NOW, LIFE), at);
    assert.equal(expiryOf(withExpires(new Date(at).toISOString()), NOW, LIFE), at);
    assert.equal(expiryOf(withExpires(at), NOW, LIFE), at);
  });

  it('is now + life for a browser-session cookie, no cookie, or an expires that is no date', () => {
    for (const session of [withExpires(null), withExpires(false), withExpires('soon'), withExpires(new Date(Number.NaN)), {} as SessionData]) {
      assert.equal(expiryOf(session, NOW, LIFE), NOW + LIFE);
    }
  });
});

describe('hasExpires', () => {
  it('tells a cookie with its own expiry from a browser-session one', () => {
    assert.equal(hasExpires({ cookie: { expires: new Date() } }), true);
    assert.equal(hasExpires({ cookie: { expires: '2030-01-01T00:00:00.000Z' } }), true);
    for (const expires of [undefined, null, false]) assert.equal(hasExpires({ cookie: { expires } }), false);
    assert.equal(hasExpires({}), false);
  });
});

describe('touchNeeded', () => {
  it('writes a later expiry only a whole window later, and an earlier one always', () => {
    assert.equal(touchNeeded(NOW, NOW + 59_999, 60_000), false);
    assert.equal(touchNeeded(NOW, NOW + 60_000, 60_000), true);
    assert.equal(touchNeeded(NOW, NOW, 60_000), false);
    assert.equal(touchNeeded(NOW, NOW - 1, 60_000), true);
  });
});

describe('toMs', () => {
  it('reads a Date, ms and the text drivers return', () => {
    assert.equal(toMs(new Date(NOW)), NOW);
    assert.equal(toMs(NOW), NOW);
    assert.equal(toMs(new Date(NOW).toISOString()), NOW);
    assert.equal(toMs('2030-06-01 00:00:00.000 +00:00'), NOW);
    assert.ok(Number.isNaN(toMs('not a time')));
  });
});

describe('KnownExpiries', () => {
  it('skips a touch only when the stored expiry is known and within the window', () => {
    const known = new KnownExpiries();
    assert.equal(known.skips('a', NOW, 60_000), false);
    known.remember('a', NOW);
    assert.equal(known.skips('a', NOW + 1_000, 60_000), true);
    assert.equal(known.skips('a', NOW + 60_000, 60_000), false);
    assert.equal(known.skips('a', NOW - 1, 60_000), false);
    assert.equal(known.skips('b', NOW, 60_000), false);
  });

  it('forgets what a write that changed no row says nothing about', () => {
    const known = new KnownExpiries();
    known.wrote('a', NOW, true);
    assert.equal(known.skips('a', NOW, 60_000), true);
    known.wrote('a', NOW + 5, false);
    assert.equal(known.skips('a', NOW, 60_000), false);
    known.remember('b', NOW);
    known.forget('b');
    assert.equal(known.skips('b', NOW, 60_000), false);
    known.remember('c', NOW);
    known.clear();
    assert.equal(known.skips('c', NOW, 60_000), false);
  });

  it('starts over past 10,000 remembered expiries', () => {
    const known = new KnownExpiries();
    for (let i = 0; i < 10_000; i++) known.remember(`k${i}`, NOW);
    assert.equal(known.skips('k0', NOW, 60_000), true);
    known.remember('one more', NOW);
    assert.equal(known.skips('k0', NOW, 60_000), false);
    assert.equal(known.skips('one more', NOW, 60_000), true);
  });
});
