// Brute-force throttling policy (contract §8), pure: the caller keeps the counters (in
// process or Redis) and applies the decision before verifying a credential. Limits
// are per (login, subnet) and per subnet, never per login alone, so an attacker
// elsewhere cannot lock the real user out of their account.
import { createHash } from 'node:crypto';

import type { ThrottleLimits } from '../../config/config.js';

export type { ThrottleLimits };

export const DEFAULT_THROTTLE_LIMITS: Readonly<ThrottleLimits> = Object.freeze({
  windowSeconds: 3600,
  freeFailures: 5,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  refuseLoginSubnetAt: 20,
  refuseSubnetAt: 100,
  refuseLoginAt: 100,
});

export interface ThrottleCounts {
  /** Failures already counted for this (login, subnet) in the current window. */
  loginSubnetFailures: number;
  /** Failures already counted for this subnet in the current window. */
  subnetFailures: number;
  /** Failures already counted for this login from every subnet in the current window. */
  loginFailures?: number;
  /** Seconds until the (login, subnet) window resets, if the store knows (else the whole window). */
  loginSubnetResetSeconds?: number;
  /** Seconds until the subnet window resets, if the store knows. */
  subnetResetSeconds?: number;
}

export type ThrottleDecision =
  | { action: 'allow' }
  | { action: 'delay'; ms: number }
  | { action: 'refuse'; retryAfterSeconds: number };

/**
 * What to do with the next attempt, given the failures counted so far. With the
 * defaults: failures 0–4 → allow; 5 → 250 ms, 6 → 500, 7 → 1 s, 8 → 2 s, 9–19 → 4 s;
 * 20 → refuse; a subnet with 100 failures → refuse for every login.
 */
export function throttleDecision(
  counts: ThrottleCounts,
  limits: Readonly<ThrottleLimits> = DEFAULT_THROTTLE_LIMITS,
): ThrottleDecision {
  const pair = count(counts.loginSubnetFailures);
  const subnet = count(counts.subnetFailures);

  const login = count(counts.loginFailures ?? 0);

  const pairRefused = pair >= limits.refuseLoginSubnetAt || (pair > 0 && login >= limits.refuseLoginAt);
  const subnetRefused = subnet >= limits.refuseSubnetAt;
  if (pairRefused || subnetRefused) {
    // Wait until every exhausted bucket has reset, hence the maximum.
    const retryAfterSeconds = Math.max(
      pairRefused ? reset(counts.loginSubnetResetSeconds, limits) : 1,
      subnetRefused ? reset(counts.subnetResetSeconds, limits) : 1,
    );
    return { action: 'refuse', retryAfterSeconds };
  }

  if (pair < limits.freeFailures) return { action: 'allow' };
  // Exponent capped so a huge count cannot make 2 ** n Infinity (and 0 × Infinity NaN).
  const doublings = Math.min(pair - limits.freeFailures, 52);
  const ms = Math.min(limits.baseDelayMs * 2 ** doublings, limits.maxDelayMs);
  return { action: 'delay', ms };
}

function count(n: number): number {
  // Counters come from a store; a corrupt one must not silently mean "no failures".
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('failure count must be a non-negative integer');
  return n;
}

/** Whole seconds for Retry-After: at most the window, at least 1 (0 would invite an instant retry). */
function reset(seconds: number | undefined, limits: Readonly<ThrottleLimits>): number {
  const s = seconds === undefined || !Number.isFinite(seconds) ? limits.windowSeconds : seconds;
  return Math.max(1, Math.ceil(Math.min(s, limits.windowSeconds)));
}

/**
 * Key for "the same wrong credential repeated counts once": the caller sets it if
 * absent (TTL = window) and increments the counters only when it was new. A stale
 * client retrying an old password thus costs one failure, not hundreds.
 * `passwordHmacHex` must be an HMAC of the password under the server key, never the
 * password itself; the hex check catches a plaintext password passed by mistake.
 */
export function failureFingerprint(login: string, subnet: string, passwordHmacHex: string): string {
  if (!/^[0-9a-fA-F]{32,128}$/.test(passwordHmacHex)) {
    throw new TypeError('passwordHmacHex must be an HMAC in hex');
  }
  // JSON framing keeps the fields apart whatever they contain; hashing bounds the key length.
  const framed = JSON.stringify([login, subnet, passwordHmacHex.toLowerCase()]);
  return createHash('sha256').update(framed, 'utf8').digest('hex');
}
