import { generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import {
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  recoveryCodeHash,
  TOTP_PERIOD_SECONDS,
  totpReplayKey,
  totpTimeStep,
  totpUri,
  totpValidUntil,
} from './totp.js';

describe('TOTP (RFC 6238, one step either side)', () => {
  const secret = newTotpSecret();
  // The middle of a step, so ±1 step is exactly the previous and the next one.
  const t = 1_796_000_015;
  const step = Math.floor(t / TOTP_PERIOD_SECONDS);
  const codeAt = (seconds: number) => generateSync({ secret, epoch: seconds });

  it('makes 160-bit base32 secrets and an otpauth URI for the apps', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    expect(totpUri(secret, 'Portcullis', 'alice')).toBe(`otpauth://totp/Portcullis:alice?secret=${secret}&issuer=Portcullis`);
  });

  it('accepts the current, previous and next step, naming the step that matched', () => {
    expect(totpTimeStep(secret, codeAt(t), t)).toBe(step);
    expect(totpTimeStep(secret, codeAt(t - 30), t)).toBe(step - 1);
    expect(totpTimeStep(secret, codeAt(t + 30), t)).toBe(step + 1);
  });

  it('refuses two steps away, another secret, and anything but six digits', () => {
    expect(totpTimeStep(secret, codeAt(t - 60), t)).toBeNull();
    expect(totpTimeStep(secret, codeAt(t + 60), t)).toBeNull();
    expect(totpTimeStep(newTotpSecret(), codeAt(t), t)).toBeNull();
    for (const bad of ['', '12345', '1234567', 'abcdef', `${codeAt(t)}0`]) expect(totpTimeStep(secret, bad, t)).toBeNull();
    // Spaces as apps show them are fine.
    const c = codeAt(t);
    expect(totpTimeStep(secret, `${c.slice(0, 3)} ${c.slice(3)}`, t)).toBe(step);
  });

  it('claims a step until the end of the next one (the last moment its code is accepted), per account', () => {
    expect(totpValidUntil(step).getTime()).toBe((step + 2) * 30_000);
    // The code of `step` is accepted until the step after it ends: check that boundary.
    const lastAccepted = (step + 2) * 30 - 1;
    expect(totpTimeStep(secret, codeAt(t), lastAccepted)).toBe(step);
    expect(totpTimeStep(secret, codeAt(t), lastAccepted + 1)).toBeNull();
    expect(totpReplayKey('a', step)).not.toBe(totpReplayKey('b', step));
    expect(totpReplayKey('a', step)).not.toBe(totpReplayKey('a', step + 1));
    expect(totpReplayKey('a', step)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('recovery codes', () => {
  it('makes ten distinct codes of 16 unambiguous characters', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
  });

  it('reads them regardless of case, spaces and dashes; refuses what cannot be one', () => {
    const [code] = newRecoveryCodes(1);
    const plain = code!.replaceAll('-', '');
    expect(normalizeRecoveryCode(code!)).toBe(plain);
    expect(normalizeRecoveryCode(code!.toUpperCase().replaceAll('-', ' '))).toBe(plain);
    expect(normalizeRecoveryCode('abcd-efgh-jkmn')).toBeNull();
    expect(normalizeRecoveryCode('0000-1111-oooo-llll')).toBeNull();
    expect(normalizeRecoveryCode('123456')).toBeNull();
  });

  it('stores a hash that is not the code, the same for every spelling', () => {
    const [code] = newRecoveryCodes(1);
    const hash = recoveryCodeHash(normalizeRecoveryCode(code!)!);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(code!.replaceAll('-', ''));
    expect(recoveryCodeHash(normalizeRecoveryCode(code!.toUpperCase())!)).toBe(hash);
    expect(recoveryCodeHash(normalizeRecoveryCode(newRecoveryCodes(1)[0]!)!)).not.toBe(hash);
  });
});
