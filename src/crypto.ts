/**
 * Secrets at rest: session ids stored as SHA-256 (or HMAC-SHA-256) digests, and `sess` values
 * sealed with AES-256-GCM. Keys arrive checked (options.ts) and are derived once per store.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/** Maps a session id to the key stored in the sid column. */
export type SidKey = (sid: string) => string;

/** The digest of each id: SHA-256, or HMAC-SHA-256 under `secret` (its bytes); undefined when ids are stored as they are. */
export function sidHasher(secret: true | Buffer | undefined): SidKey | undefined {
  if (secret === undefined) return undefined;
  if (secret === true) return (sid) => createHash('sha256').update(sid).digest('hex');
  const key = createSecretKey(secret);
  return (sid) => createHmac('sha256', key).update(sid).digest('hex');
}

const ENVELOPE = 'sss1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

interface RingKey {
  /** A short public name of the key: a digest of it, not the key. */
  readonly id: string;
  readonly key: KeyObject;
}

/** Encrypts and decrypts `sess` values; every key of the ring decrypts, the first one encrypts. */
export interface Sealer {
  seal(plain: string, rowKey: string): string;
  /** The plain text, or undefined when no key of the ring opens the envelope (tampered, truncated, foreign). */
  open(sealed: string, rowKey: string): string | undefined;
}

/** The sealer of a key ring (32 bytes each, the first one encrypts); undefined without encryption. */
export function createSealer(keys: readonly Buffer[] | undefined): Sealer | undefined {
  if (keys === undefined) return undefined;
  const ring: RingKey[] = keys.map((bytes) => {
    // A derived key, so the configured secret is never used for two purposes.
    const derived = Buffer.from(hkdfSync('sha256', bytes, Buffer.alloc(0), 'sequelize-session-store sess aes-256-gcm', 32));
    const id = createHash('sha256').update('sequelize-session-store key id').update(bytes).digest('base64url').slice(0, 8);
    return { id, key: createSecretKey(derived) };
  });
  const byId = new Map(ring.map((entry) => [entry.id, entry]));
  const current = ring[0]!;
  return {
    seal(plain, rowKey) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, nonce);
      // The row's key is authenticated data: a blob copied to another row does not open there.
      cipher.setAAD(Buffer.from(rowKey, 'utf8'));
      const body = Buffer.concat([nonce, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${ENVELOPE}.${current.id}.${body.toString('base64url')}`;
    },
    open(sealed, rowKey) {
      const [version, id, data] = sealed.split('.');
      const entry = id === undefined ? undefined : byId.get(id);
      if (version !== ENVELOPE || entry === undefined || data === undefined) return undefined;
      const body = Buffer.from(data, 'base64url');
      if (body.length < NONCE_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', entry.key, body.subarray(0, NONCE_BYTES));
        decipher.setAAD(Buffer.from(rowKey, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
