// Secrets at rest without a server: id digests, and the AES-256-GCM envelope of `sess` with key rotation.
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSealer, sidHasher } from '../../src/crypto.js';

describe('sidHasher', () => {
  it('stores ids as they are without hashSids, as SHA-256 hex with it, as HMAC-SHA-256 under a secret', () => {
    assert.equal(sidHasher(undefined), undefined);
    assert.equal(sidHasher(true)!('abc'), createHash('sha256').update('abc').digest('hex'));
    const secret = Buffer.from('0123456789abcdef0123');
    assert.equal(sidHasher(secret)!('abc'), createHmac('sha256', secret).update('abc').digest('hex'));
  });
});

describe('createSealer', () => {
  const key1 = randomBytes(32);
  const key2 = randomBytes(32);

  it('is undefined without encryption', () => assert.equal(createSealer(undefined), undefined));

  it('seals into an sss1 envelope without the plaintext, and opens it for the same row only', () => {
    const sealer = createSealer([key1])!;
    const sealed = sealer.seal('{"user":"alice"}', 'row-1');
    assert.match(sealed, /^sss1\.[\w-]{8}\.[\w-]+$/);
    assert.ok(!sealed.includes('alice'));
    assert.equal(sealer.open(sealed, 'row-1'), '{"user":"alice"}');
    assert.equal(sealer.open(sealed, 'row-2'), undefined);
    assert.notEqual(sealer.seal('same', 'row-1'), sealer.seal('same', 'row-1'));
  });

  it('rotates: a ring with a new key first still opens what the old key sealed, and seals with the new one', () => {
    const old = createSealer([key1])!;
    const rotated = createSealer([key2, key1])!;
    const sealedBefore = old.seal('before', 'r');
    assert.equal(rotated.open(sealedBefore, 'r'), 'before');
    assert.equal(old.open(rotated.seal('after', 'r'), 'r'), undefined);
    assert.equal(createSealer([key2])!.open(rotated.seal('after', 'r'), 'r'), 'after');
  });

  it('opens nothing tampered, truncated or foreign', () => {
    const sealer = createSealer([key1])!;
    const sealed = sealer.seal('secret', 'r');
    // Not the last character: in base64url its low bits may be padding, and changing only those changes no byte.
    const at = sealed.length - 2;
    const tampered = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    for (const bad of [tampered, sealed.slice(0, 20), 'sss1.nope.AAAA', 'plain text', createSealer([key2])!.seal('secret', 'r')]) {
      assert.equal(sealer.open(bad, 'r'), undefined, bad);
    }
  });
});
