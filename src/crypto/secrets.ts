import { createCipheriv, createDecipheriv, createHash, createSecretKey, hash, hkdfSync, type KeyObject, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison; lengths leak, contents don't. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab); // keep the work similar on a length mismatch
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** A URL-safe random token with `bytes` of entropy (≥ 16 bytes = 128 bits for anything secret). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

const NONCE_POOL_BYTES = 4096;
const noncePool = Buffer.alloc(NONCE_POOL_BYTES);
let nonceOffset = NONCE_POOL_BYTES;

/**
 * `bytes` fresh random bytes for values that are public once used (AES-GCM IVs, temporary file
 * names), taken from a pool filled 4 KiB at a time, as Node's randomUUID does: one `randomBytes()`
 * call costs ~6 µs on these machines, a slice of the pool ~0.2 µs (issue 18: two IVs a token grant).
 * Each slice is handed out once and copied; never for secrets, whose bytes would wait in memory.
 */
export function randomNonce(bytes: number): Buffer {
  if (bytes > NONCE_POOL_BYTES) return randomBytes(bytes);
  if (nonceOffset + bytes > NONCE_POOL_BYTES) {
    randomFillSync(noncePool);
    nonceOffset = 0;
  }
  const nonce = Buffer.from(noncePool.subarray(nonceOffset, nonceOffset + bytes));
  nonceOffset += bytes;
  return nonce;
}

/** One-shot `crypto.hash`: ~0.3 µs where createHash().update().digest() took ~1.2 (4 a token grant). */
export function sha256Hex(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}

/**
 * Everything derived from SECRET_KEY: per-purpose HMAC keys and the secret box. Sub-keys are
 * derived with HKDF so that one purpose's MACs can never be replayed as another's.
 */
export class KeyRing {
  private readonly hmacPads = new Map<string, { inner: Buffer; outer: Buffer }>();
  private readonly lookupPrefixes = new Map<string, string>();
  readonly secretBox: SecretBox;

  constructor(private readonly master: Buffer) {
    if (master.length !== 32) throw new Error('SECRET_KEY must be 32 bytes');
    this.secretBox = new SecretBox([this.derive('secret-box:v1')]);
  }

  /**
   * HMAC-SHA256 of `data` under the sub-key for `purpose`, hex. Computed from precomputed
   * RFC 2104 pads with two one-shot hashes, same result as `createHmac` (tested) without its
   * per-call key setup, which cost several times as much (bench/README.md).
   */
  hmac(purpose: string, data: string | Buffer): string {
    let pads = this.hmacPads.get(purpose);
    if (!pads) {
      const key = this.derive(`hmac:${purpose}`);
      pads = { inner: Buffer.alloc(64, 0x36), outer: Buffer.alloc(64, 0x5c) };
      for (let i = 0; i < key.length; i++) {
        pads.inner[i]! ^= key[i]!;
        pads.outer[i]! ^= key[i]!;
      }
      this.hmacPads.set(purpose, pads);
    }
    const message = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const inner = hash('sha256', Buffer.concat([pads.inner, message]), 'buffer');
    return hash('sha256', Buffer.concat([pads.outer, inner]), 'hex');
  }

  /**
   * A keyed SHA-256 of `data` for in-memory look-ups only (cache keys), never stored or sent.
   * A cache key must not reveal the credential it stands for, but it needs no MAC's forgery
   * resistance (nobody presents one to be checked), so one hash over a string does: no Buffers
   * to allocate and collect on every request, which under load cost more than the hashing.
   */
  lookupKey(purpose: string, data: string): string {
    let prefix = this.lookupPrefixes.get(purpose);
    if (prefix === undefined) this.lookupPrefixes.set(purpose, (prefix = this.derive(`lookup:${purpose}`).toString('hex')));
    return hash('sha256', prefix + data, 'base64');
  }


  private derive(info: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.master, Buffer.alloc(0), info, 32));
  }
}

/**
 * AES-256-GCM for secrets the server must read back (the OTP needs the plain password to
 * recompute its MAC). Ciphertexts name their key id, so keys can rotate: the first key seals,
 * every listed key opens.
 */
export class SecretBox {
  // KeyObjects, imported once: a raw Buffer would be imported again on every call (OTP hot path).
  private readonly keys: Map<string, KeyObject>;
  private readonly current: { id: string; key: KeyObject };

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('SecretBox needs a key');
    this.keys = new Map(keys.map((k) => [keyId(k), createSecretKey(k)]));
    this.current = { id: keyId(keys[0]!), key: createSecretKey(keys[0]!) };
  }

  seal(plain: string): string {
    const iv = randomNonce(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(this.current.id));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', this.current.id, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The plain text, or null when the box is not ours, tampered with, or under a retired key. */
  open(sealed: string | ParsedBox): string | null {
    const box = typeof sealed === 'string' ? this.parse(sealed) : sealed;
    if (!box) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', box.key, box.iv);
      decipher.setAAD(box.aad);
      decipher.setAuthTag(box.tag);
      const plain = decipher.update(box.ciphertext, undefined, 'utf8');
      decipher.final(); // checks the tag; GCM has no bytes left to give
      return plain;
    } catch {
      return null;
    }
  }

  /**
   * A box's parts, decoded once, for a caller that opens the same box again and again (the OTP
   * verifier's cache): still ciphertext, only spared the text decoding on every opening. Null
   * when the box is malformed or under a key this box does not hold.
   */
  parse(sealed: string): ParsedBox | null {
    const [version, id, iv, ciphertext, tag, extra] = sealed.split('.');
    const key = id ? this.keys.get(id) : undefined;
    if (version !== 'v1' || !key || !iv || ciphertext === undefined || !tag || extra !== undefined) return null;
    return { key, aad: Buffer.from(id!), iv: Buffer.from(iv, 'base64url'), ciphertext: Buffer.from(ciphertext, 'base64url'), tag: Buffer.from(tag, 'base64url') };
  }
}

/** A sealed secret's parts (`SecretBox.parse`): a key it is sealed under, and the AES-GCM inputs. */
export interface ParsedBox {
  readonly key: KeyObject;
  readonly aad: Buffer;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
