/**
 * Secrets at rest: session ids stored as SHA-256 (or HMAC-SHA-256) digests, and `sess` values
 * sealed with AES-256-GCM. Keys are checked and derived once, when the store is constructed.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { ConfigurationError, invalidOption } from './errors.js';

/** Maps a session id to the key stored in the sid column. */
export type SidKey = (sid: string) => string;

export function sidHasher(option: boolean | { secret: string | Buffer } | undefined): SidKey | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return (sid) => createHash('sha256').update(sid).digest('hex');
  if (typeof option !== 'object' || option === null) throw invalidOption('hashSids', 'a boolean or { secret }', option);
  const { secret } = option;
  if (!((typeof secret === 'string' && secret.length >= 16) || (Buffer.isBuffer(secret) && secret.length >= 16))) {
    throw invalidOption('hashSids.secret', 'a string or Buffer of at least 16 characters or bytes', secret, true);
  }
  const key = createSecretKey(Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8'));
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

function toKeyBytes(value: unknown, index: number): Buffer {
  if (Buffer.isBuffer(value) && value.length === 32) return value;
  if (typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  // Never echo the value: it may be a real key with a typo.
  throw invalidOption(`encryption.keys[${index}]`, 'a 32-byte Buffer or a 64-character hex string', value, true);
}

export function createSealer(option: { keys: ReadonlyArray<string | Buffer> } | undefined): Sealer | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null || !Array.isArray(option.keys) || option.keys.length === 0) {
    throw new ConfigurationError('ERR_INVALID_OPTION', 'Expected `encryption` to be { keys: [key, …] } with at least one key');
  }
  const ring: RingKey[] = option.keys.map((value, index) => {
    const bytes = toKeyBytes(value, index);
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
