import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('hashes with argon2id at the OWASP parameters and verifies', async () => {
    const h = await hasher.hash('pässwörd 🔑');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(h, 'pässwörd 🔑')).toBe(true);
    expect(await hasher.verify(h, 'passwörd 🔑')).toBe(false);
    expect(hasher.needsRehash(h)).toBe(false);
  });

  it('reads a corrupt hash as a wrong password and asks to rehash weaker hashes', async () => {
    expect(await hasher.verify('not-a-hash', 'x')).toBe(false);
    const weak = await new PasswordHasher({ algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 } as never).hash('x');
    expect(hasher.needsRehash(weak)).toBe(true);
  });

  it('verifies an imported bcrypt hash and asks to replace it', async () => {
    const imported = await bcrypt.hash('old-system-password', 4);
    expect(await hasher.verify(imported, 'old-system-password')).toBe(true);
    expect(await hasher.verify(imported, 'old-system-passwore')).toBe(false);
    expect(hasher.needsRehash(imported)).toBe(true);
    expect(await hasher.verify(`${imported.slice(0, -1)}`, 'old-system-password')).toBe(false); // malformed: a wrong password
  });

  it('spends a verification on unknown logins', async () => {
    expect(await hasher.verifyOrDummy(null, 'whatever')).toBe(false);
  });
});
