import { randomBytes } from 'node:crypto';

/**
 * The KeyRing purpose keys are hashed under: stored hash = `KeyRing.hmac(API_KEY_HMAC_PURPOSE, key)`.
 * A keyed hash, not argon2: the key has 128 random bits, so nothing is gained by slowing a guess.
 */
export const API_KEY_HMAC_PURPOSE = 'api-key';

/** 128 random bits as 32 upper-case hexadecimal digits (contract §4.3). */
export const API_KEY_PATTERN = /^[0-9A-F]{32}$/;

export function generateApiKey(random: Buffer = randomBytes(16)): string {
  if (random.length !== 16) throw new Error('an API key is 16 random bytes');
  return random.toString('hex').toUpperCase();
}

/** What a developer is shown of a stored key: enough to tell keys apart, too little to use one. */
export function lastFour(key: string): string {
  return key.slice(-4);
}

export type PresentedApiKey =
  | { kind: 'none' }
  | { kind: 'malformed'; reason: 'format' | 'conflicting_values' }
  | { kind: 'key'; key: string };

/**
 * The one key a request presents, from every place it may be sent (the API-key headers and the
 * `api_key` matrix parameters). Sending it twice is fine if the values agree; values that differ
 * are refused rather than one picked, so no spelling decides which key a request is judged by.
 */
export function presentedApiKey(values: readonly string[]): PresentedApiKey {
  if (values.length === 0) return { kind: 'none' };
  for (const v of values) if (!API_KEY_PATTERN.test(v)) return { kind: 'malformed', reason: 'format' };
  const key = values[0]!;
  for (const v of values) if (v !== key) return { kind: 'malformed', reason: 'conflicting_values' };
  return { kind: 'key', key };
}
