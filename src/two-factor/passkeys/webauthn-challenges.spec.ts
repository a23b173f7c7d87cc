import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/secrets.js';
import { MemorySharedState } from '../../shared-state/memory-shared-state.js';
import { CHALLENGE_TTL_MS, WebAuthnChallenges } from './webauthn-challenges.js';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function store(keys = new KeyRing(randomBytes(32)), state = new MemorySharedState()) {
  return new WebAuthnChallenges(keys, state);
}

describe('WebAuthnChallenges', () => {
  it('accepts its own challenge for the purpose and binding it was issued to, and nothing else', () => {
    const s = store();
    const c = b64(s.issue('register', 'session-a'));
    expect(s.valid(c, 'register', 'session-a')).toBe(true);
    expect(s.valid(c, 'register', 'session-b')).toBe(false);
    expect(s.valid(c, 'sign-in', 'session-a')).toBe(false);
    expect(s.valid(c, 'second-factor', 'session-a')).toBe(false);
  });

  it('refuses a challenge issued under another SECRET_KEY, a changed byte, random bytes and junk', () => {
    const s = store();
    const other = b64(store().issue('register', 's'));
    expect(s.valid(other, 'register', 's')).toBe(false);
    const raw = Buffer.from(s.issue('register', 's'));
    raw[3]! ^= 1;
    expect(s.valid(b64(raw), 'register', 's')).toBe(false);
    expect(s.valid(b64(randomBytes(38)), 'register', 's')).toBe(false);
    for (const junk of ['', 'not base64!', 'x'.repeat(500), b64(randomBytes(16))]) expect(s.valid(junk, 'register', 's')).toBe(false);
  });

  it('refuses a challenge once its five minutes are over, and a lengthened expiry breaks the MAC', () => {
    const s = store();
    const t0 = 1_800_000_000_000;
    const raw = s.issue('sign-in', 'attempt', t0);
    expect(s.valid(b64(raw), 'sign-in', 'attempt', t0 + CHALLENGE_TTL_MS - 1)).toBe(true);
    expect(s.valid(b64(raw), 'sign-in', 'attempt', t0 + CHALLENGE_TTL_MS)).toBe(false);
    const longer = Buffer.from(raw);
    longer.writeUIntBE(t0 + 10 * CHALLENGE_TTL_MS, 16, 6);
    expect(s.valid(b64(longer), 'sign-in', 'attempt', t0 + CHALLENGE_TTL_MS)).toBe(false);
  });

  it('claims a challenge once, also across two instances sharing their state and key', async () => {
    const keys = new KeyRing(randomBytes(32));
    const state = new MemorySharedState();
    const a = store(keys, state);
    const b = store(keys, state);
    const c = b64(a.issue('second-factor', 'session'));
    expect(b.valid(c, 'second-factor', 'session')).toBe(true);
    const claims = await Promise.all([a.claim(c), b.claim(c), a.claim(c)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await b.claim(b64(a.issue('second-factor', 'session')))).toBe(true);
  });

  it('does not claim an expired or malformed challenge', async () => {
    const s = store();
    const t0 = Date.now() - CHALLENGE_TTL_MS - 1;
    expect(await s.claim(b64(s.issue('register', 's', t0)))).toBe(false);
    expect(await s.claim('junk')).toBe(false);
  });
});
