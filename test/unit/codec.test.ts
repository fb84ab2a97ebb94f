// A session to its `sess` value and a stored row back to a session, without a server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createCodec } from '../../src/codec.js';
import { createSealer } from '../../src/crypto.js';
import type { CorruptSessionError } from '../../src/errors.js';
import { InvalidInputError } from '../../src/errors.js';

function codec({ json = false, sealed = false, maxBytes = 1024 * 1024 }: { json?: boolean; sealed?: boolean; maxBytes?: number } = {}) {
  const marker = json ? 'null' : '';
  const corrupt: CorruptSessionError[] = [];
  const made = createCodec({ serializer: JSON, json, maxBytes, marker, sealer: sealed ? createSealer([randomBytes(32)]) : undefined, corrupt: (error) => corrupt.push(error) });
  return { codec: made, corrupt };
}

const session = { cookie: { expires: '2030-01-01T00:00:00.000Z', originalMaxAge: 1000 }, user: 'ünï 🍪' };

describe('encode and decode', () => {
  for (const json of [false, true]) {
    for (const sealed of [false, true]) {
      it(`round-trips a session (${json ? 'JSON' : 'text'} column${sealed ? ', sealed' : ''})`, () => {
        const { codec: c } = codec({ json, sealed });
        const stored = c.encode(session, 'row');
        assert.equal(typeof stored, 'string');
        if (sealed) assert.ok(!stored.includes('🍪'));
        // A JSON column holds a sealed session as a JSON string; some drivers hand it back parsed.
        assert.deepEqual(c.decode(stored, 'row'), session);
        if (json) assert.deepEqual(c.decode(JSON.parse(stored), 'row'), session);
      });
    }
  }

  it('reads a marker, NULL and JSON null as no session', () => {
    const { codec: c } = codec();
    for (const stored of ['', null, undefined]) assert.equal(c.decode(stored, 'row'), undefined);
    assert.equal(codec({ json: true }).codec.decode('null', 'row'), undefined);
  });

  it('hands each reader of a parsed value a copy of its own', () => {
    const { codec: c } = codec({ json: true });
    const parsed = { a: { b: 1 } };
    const first = c.decode(parsed, 'row')!;
    (first.a as { b: number }).b = 2;
    assert.deepEqual(c.decode(parsed, 'row'), { a: { b: 1 } });
  });

  it('refuses a session too large once encoded, naming the limit but not the session', () => {
    const { codec: c } = codec({ maxBytes: 100 });
    assert.throws(
      () => c.encode({ big: 'é'.repeat(60) }, 'row'),
      (error: unknown) => error instanceof InvalidInputError && error.code === 'ERR_SESSION_TOO_LARGE' && !error.message.includes('é'),
    );
    assert.doesNotThrow(() => c.encode({ small: 'x' }, 'row'));
  });

  it('refuses what the serializer cannot turn into text, without quoting the session', () => {
    const { codec: c } = codec();
    const cyclic: Record<string, unknown> = { secret: 'hunter2' };
    cyclic.self = cyclic;
    for (const bad of [cyclic, { n: 1n, secret: 'hunter2' }]) {
      assert.throws(
        () => c.encode(bad, 'row'),
        (error: unknown) => error instanceof InvalidInputError && error.code === 'ERR_SESSION_NOT_SERIALIZABLE' && !error.message.includes('hunter2'),
      );
    }
    const quiet = createCodec({ serializer: { stringify: () => '', parse: JSON.parse }, json: false, maxBytes: 100, marker: '', sealer: undefined, corrupt: () => {} });
    assert.throws(() => quiet.encode({}, 'row'), (error: unknown) => (error as InvalidInputError).code === 'ERR_SESSION_NOT_SERIALIZABLE');
  });
});

describe('rows to sessions', () => {
  it("gives the cookie the row's expiry (a touch moves it), and leaves a browser-session cookie without one", () => {
    const { codec: c } = codec();
    const e = new Date(Date.UTC(2031, 0, 1));
    assert.equal((c.session({ s: JSON.stringify(session), e }, 'k')!.cookie as { expires?: unknown }).expires, e.toISOString());
    const browser = { cookie: { expires: null, originalMaxAge: null } };
    assert.equal((c.session({ s: JSON.stringify(browser), e }, 'k')!.cookie as { expires?: unknown }).expires, null);
  });

  it('reads an undecodable row as no session and reports it as ERR_CORRUPT_SESSION', () => {
    const { codec: c, corrupt } = codec();
    assert.equal(c.session({ s: '{not json', e: new Date() }, 'k'), null);
    assert.equal(c.session({ s: '[1,2]', e: new Date() }, 'k'), null);
    assert.deepEqual(corrupt.map((error) => error.code), ['ERR_CORRUPT_SESSION', 'ERR_CORRUPT_SESSION']);
    assert.equal(c.session({ s: '', e: new Date() }, 'k'), null);
    assert.equal(corrupt.length, 2, 'a marker is no corruption');
  });

  it('keys all() by the stored key, text or bytes, leaving markers out', () => {
    const { codec: c } = codec();
    const e = new Date(Date.UTC(2031, 0, 1));
    const sessions = c.sessions([
      { k: 'a', s: '{"n":1}', e },
      { k: Buffer.from('b'), s: '{"n":2}', e },
      { k: 'gone', s: '', e },
    ]);
    assert.deepEqual(Object.keys(sessions), ['a', 'b']);
    assert.equal(sessions.b!.n as unknown, 2);
  });
});
