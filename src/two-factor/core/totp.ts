import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verifySync } from 'otplib';

/** RFC 6238 as authenticator apps expect it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;

/** A new base32 secret: 160 bits (RFC 4226 §4 recommends it; otplib refuses under 128). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The `otpauth://` URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, issuer: string, label: string): string {
  return generateURI({ issuer, label, secret });
}

/**
 * The time step a code matches at `nowSeconds`, one step either side accepted (clock drift and
 * the time to type), or null. The step is what the replay claim is keyed by: a code is accepted
 * once within its window.
 */
export function totpTimeStep(secret: string, code: string, nowSeconds: number): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const result = verifySync({ secret, token, epoch: nowSeconds, epochTolerance: TOTP_PERIOD_SECONDS });
  // The step that matched (TOTP's result names it; computed from its epoch to stay type-agnostic).
  return result.valid && 'epoch' in result ? Math.floor(result.epoch / TOTP_PERIOD_SECONDS) : null;
}

/** The first instant a code of `timeStep` is no longer accepted (the next step's end). */
export function totpValidUntil(timeStep: number): Date {
  return new Date((timeStep + 2) * TOTP_PERIOD_SECONDS * 1000);
}

/** The replay-store key of an account's time step (hashed: the store holds no account ids). */
export function totpReplayKey(accountId: string, timeStep: number): string {
  return createHash('sha256').update(`totp:${accountId}:${timeStep}`).digest('hex');
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i: read aloud and typed

/** Ten recovery codes, `xxxx-xxxx-xxxx-xxxx`: 16 characters of 31, about 79 bits each. */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(32);
    let s = '';
    for (const b of bytes) {
      // Rejection sampling keeps the characters uniform.
      if (b >= 248) continue;
      s += RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length];
      if (s.length === 16) break;
    }
    if (s.length < 16) return newRecoveryCodes(1)[0]!;
    return s.match(/.{4}/g)!.join('-');
  });
}

/** Case, spaces and dashes do not matter: `ABCD EFGH…` is `abcd-efgh-…`. Null: cannot be a recovery code. */
export function normalizeRecoveryCode(code: string): string | null {
  const s = code.toLowerCase().replace(/[\s-]+/g, '');
  return s.length === 16 && [...s].every((c) => RECOVERY_ALPHABET.includes(c)) ? s : null;
}

/** What is stored of a recovery code. */
export function recoveryCodeHash(normalized: string): string {
  return createHash('sha256').update(`recovery:${normalized}`).digest('hex');
}
