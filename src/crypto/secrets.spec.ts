import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, KeyRing, randomNonce, randomToken, SecretBox, sha256Hex } from './secrets.js';

describe('SecretBox', () => {
  it('round-trips any text and never shows it in the ciphertext', () => {
    const box = new SecretBox([randomBytes(32)]);
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), (plain) => {
        const sealed = box.seal(plain);
        expect(box.open(sealed)).toBe(plain);
        expect(sealed.includes(plain)).toBe(false);
        // Parsed once, it opens the same, as often as asked.
        const parsed = box.parse(sealed)!;
        expect(box.open(parsed)).toBe(plain);
        expect(box.open(parsed)).toBe(plain);
      }),
    );
  });

  it('refuses tampered, foreign and garbage boxes', () => {
    const box = new SecretBox([randomBytes(32)]);
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    parts[3] = flipped.toString('base64url');
    expect(box.open(parts.join('.'))).toBeNull();
    expect(new SecretBox([randomBytes(32)]).open(sealed)).toBeNull();
    expect(box.open('v1.x.y')).toBeNull();
    expect(box.open('')).toBeNull();
    expect(box.open(`${sealed}.extra`)).toBeNull();
    // The parsed form: a foreign box does not parse; a tampered one parses and opens to null.
    expect(new SecretBox([randomBytes(32)]).parse(sealed)).toBeNull();
    expect(box.parse('v2' + sealed.slice(2))).toBeNull();
    const tampered = box.parse(parts.join('.'));
    expect(tampered).not.toBeNull();
    expect(box.open(tampered!)).toBeNull();
  });

  it('opens boxes of an older key after rotation, seals with the new one', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const sealedOld = new SecretBox([oldKey]).seal('before');
    const rotated = new SecretBox([newKey, oldKey]);
    expect(rotated.open(sealedOld)).toBe('before');
    expect(new SecretBox([newKey]).open(rotated.seal('after'))).toBe('after');
  });
});

describe('KeyRing', () => {
  it('computes exactly HMAC-SHA256 under the purpose sub-key', () => {
    const master = randomBytes(32);
    const ring = new KeyRing(master);
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1, maxLength: 20 }), (data, purpose) => {
        const subKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `hmac:${purpose}`, 32));
        expect(ring.hmac(purpose, data)).toBe(createHmac('sha256', subKey).update(data, 'utf8').digest('hex'));
      }),
    );
  });

  it('derives distinct HMACs per purpose and per master key', () => {
    const ring = new KeyRing(randomBytes(32));
    expect(ring.hmac('a', 'x')).toBe(ring.hmac('a', 'x'));
    expect(ring.hmac('a', 'x')).not.toBe(ring.hmac('b', 'x'));
    expect(new KeyRing(randomBytes(32)).hmac('a', 'x')).not.toBe(ring.hmac('a', 'x'));
  });

  it('makes look-up keys that are stable, keyed, and apart per purpose', () => {
    const ring = new KeyRing(randomBytes(32));
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(ring.lookupKey('p', a)).toBe(ring.lookupKey('p', a));
        expect(ring.lookupKey('p', a) === ring.lookupKey('p', b)).toBe(a === b);
        expect(ring.lookupKey('p', a)).not.toBe(ring.lookupKey('q', a));
      }),
    );
    // Not computable without the master key: neither a plain hash nor another ring's key.
    expect(ring.lookupKey('p', 'Basic YTpi')).not.toBe(createHash('sha256').update('Basic YTpi').digest('base64'));
    expect(new KeyRing(randomBytes(32)).lookupKey('p', 'Basic YTpi')).not.toBe(ring.lookupKey('p', 'Basic YTpi'));
  });
});

describe('helpers', () => {
  it('compares equal and unequal strings', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });
  it('makes tokens of the asked entropy', () => {
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16);
    expect(randomToken()).not.toBe(randomToken());
  });
  it('hashes exactly as SHA-256 of the UTF-8 text or the bytes (stored keys depend on it)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.uint8Array(), (text, bytes) => {
        expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
        expect(sha256Hex(Buffer.from(bytes))).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
    );
  });
});

describe('randomNonce', () => {
  it('hands out every slice once, across refills of the pool, and as a copy the pool does not change', () => {
    const first = randomNonce(12);
    const kept = Buffer.from(first);
    const seen = new Set<string>([first.toString('hex')]);
    // 3,000 × 12 bytes go through the 4 KiB pool several times, with odd sizes between.
    for (let i = 0; i < 3000; i++) {
      const nonce = randomNonce(i % 7 === 0 ? 5 : 12);
      expect(nonce.length).toBe(i % 7 === 0 ? 5 : 12);
      if (nonce.length === 12) {
        expect(seen.has(nonce.toString('hex'))).toBe(false);
        seen.add(nonce.toString('hex'));
      }
    }
    expect(first.equals(kept)).toBe(true);
    expect(randomNonce(5000).length).toBe(5000);
  });
});
