import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THROTTLE_LIMITS,
  failureFingerprint,
  throttleDecision,
  type ThrottleDecision,
  type ThrottleLimits,
} from './throttle-policy.js';

const decide = (loginSubnetFailures: number, subnetFailures = loginSubnetFailures, extra = {}) =>
  throttleDecision({ loginSubnetFailures, subnetFailures, ...extra });

describe('throttleDecision with the defaults', () => {
  it('has the SPEC defaults', () => {
    expect(DEFAULT_THROTTLE_LIMITS).toEqual({
      windowSeconds: 3600,
      freeFailures: 5,
      baseDelayMs: 250,
      maxDelayMs: 4000,
      refuseLoginSubnetAt: 20,
      refuseSubnetAt: 100,
      refuseLoginAt: 100,
    });
    expect(Object.isFrozen(DEFAULT_THROTTLE_LIMITS)).toBe(true);
  });

  it.each<[number, number, ThrottleDecision]>([
    [0, 0, { action: 'allow' }],
    [4, 4, { action: 'allow' }],
    [5, 5, { action: 'delay', ms: 250 }],
    [6, 6, { action: 'delay', ms: 500 }],
    [7, 7, { action: 'delay', ms: 1000 }],
    [8, 8, { action: 'delay', ms: 2000 }],
    [9, 9, { action: 'delay', ms: 4000 }],
    [19, 19, { action: 'delay', ms: 4000 }],
    [20, 20, { action: 'refuse', retryAfterSeconds: 3600 }],
    [1000, 1000, { action: 'refuse', retryAfterSeconds: 3600 }],
    // many logins from one subnet: the subnet limit bites for a fresh login too
    [0, 99, { action: 'allow' }],
    [0, 100, { action: 'refuse', retryAfterSeconds: 3600 }],
    [7, 100, { action: 'refuse', retryAfterSeconds: 3600 }],
  ])('pair %i, subnet %i → %j', (pair, subnet, expected) => {
    expect(decide(pair, subnet)).toEqual(expected);
  });

  it.each<[object, number]>([
    [{ loginSubnetResetSeconds: 120 }, 120],
    [{ loginSubnetResetSeconds: 0.2 }, 1], // never 0: that invites an instant retry
    [{ loginSubnetResetSeconds: 0 }, 1],
    [{ loginSubnetResetSeconds: -5 }, 1],
    [{ loginSubnetResetSeconds: 59.1 }, 60],
    [{ loginSubnetResetSeconds: 99999 }, 3600], // capped at the window
    [{ loginSubnetResetSeconds: Number.NaN }, 3600],
    [{ subnetResetSeconds: 10 }, 3600], // subnet not exhausted: its reset is irrelevant
  ])('Retry-After with %j → %i (pair exhausted)', (extra, seconds) => {
    expect(decide(20, 20, extra)).toEqual({ action: 'refuse', retryAfterSeconds: seconds });
  });

  it('with both exhausted, waits for the later reset', () => {
    expect(decide(20, 100, { loginSubnetResetSeconds: 30, subnetResetSeconds: 900 })).toEqual({ action: 'refuse', retryAfterSeconds: 900 });
    expect(decide(20, 100, { loginSubnetResetSeconds: 900, subnetResetSeconds: 30 })).toEqual({ action: 'refuse', retryAfterSeconds: 900 });
  });

  it.each([-1, 1.5, Number.NaN, Infinity, 2 ** 53])('refuses a corrupt count %s', (n) => {
    expect(() => decide(n, 0)).toThrow(RangeError);
    expect(() => decide(0, n)).toThrow(RangeError);
  });

  it('a zero base delay with a huge count stays 0, not NaN', () => {
    const limits = { ...DEFAULT_THROTTLE_LIMITS, baseDelayMs: 0, refuseLoginSubnetAt: Number.MAX_SAFE_INTEGER };
    expect(throttleDecision({ loginSubnetFailures: 5000, subnetFailures: 0 }, { ...limits, refuseSubnetAt: Infinity })).toEqual({ action: 'delay', ms: 0 });
  });
});

const severity = (d: ThrottleDecision) => (d.action === 'allow' ? 0 : d.action === 'delay' ? d.ms : Infinity);
const count = fc.integer({ min: 0, max: 10_000 });
const limitsArb: fc.Arbitrary<ThrottleLimits> = fc
  .record({
    windowSeconds: fc.integer({ min: 1, max: 86400 }),
    freeFailures: fc.integer({ min: 0, max: 50 }),
    baseDelayMs: fc.integer({ min: 0, max: 5000 }),
    maxDelayMs: fc.integer({ min: 0, max: 60000 }),
    refuseLoginSubnetAt: fc.integer({ min: 0, max: 200 }),
    refuseSubnetAt: fc.integer({ min: 0, max: 2000 }),
    refuseLoginAt: fc.integer({ min: 1, max: 2000 }),
  });

describe('throttleDecision properties', () => {
  it('never gets milder as either count grows', () => {
    fc.assert(
      fc.property(limitsArb, count, count, count, count, (limits, a, b, da, db) => {
        const before = throttleDecision({ loginSubnetFailures: a, subnetFailures: b }, limits);
        const after = throttleDecision({ loginSubnetFailures: a + da, subnetFailures: b + db }, limits);
        expect(severity(after)).toBeGreaterThanOrEqual(severity(before));
      }),
    );
  });

  it('delays stay within [0, maxDelay]; Retry-After within [1, window]', () => {
    fc.assert(
      fc.property(limitsArb, count, count, fc.option(fc.double()), (limits, a, b, r) => {
        const d = throttleDecision({ loginSubnetFailures: a, subnetFailures: b, loginSubnetResetSeconds: r ?? undefined, subnetResetSeconds: r ?? undefined }, limits);
        if (d.action === 'delay') {
          expect(d.ms).toBeGreaterThanOrEqual(0);
          expect(d.ms).toBeLessThanOrEqual(limits.maxDelayMs);
        }
        if (d.action === 'refuse') {
          expect(Number.isInteger(d.retryAfterSeconds)).toBe(true);
          expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
          expect(d.retryAfterSeconds).toBeLessThanOrEqual(limits.windowSeconds);
        }
      }),
    );
  });

  it('refuses exactly when a limit is reached; allows exactly below the free failures', () => {
    fc.assert(
      fc.property(limitsArb, count, count, (limits, a, b) => {
        const d = throttleDecision({ loginSubnetFailures: a, subnetFailures: b }, limits);
        const refused = a >= limits.refuseLoginSubnetAt || b >= limits.refuseSubnetAt;
        expect(d.action === 'refuse').toBe(refused);
        if (!refused) expect(d.action === 'allow').toBe(a < limits.freeFailures);
      }),
    );
  });
});

describe('failureFingerprint', () => {
  const hmac = (pw: string) => createHmac('sha256', 'server-key').update(pw).digest('hex');

  it('is a sha256 hex and ignores the hex case of the HMAC', () => {
    const f = failureFingerprint('alice', '1.2.3.4', hmac('x'));
    expect(f).toMatch(/^[0-9a-f]{64}$/);
    expect(failureFingerprint('alice', '1.2.3.4', hmac('x').toUpperCase())).toBe(f);
  });

  it.each(['hunter2', '', 'zz'.repeat(32), 'a'.repeat(31), 'a'.repeat(129)])('refuses %j as passwordHmacHex (plaintext by mistake?)', (v) => {
    expect(() => failureFingerprint('alice', '1.2.3.4', v)).toThrow(TypeError);
  });

  it('the same (login, subnet, credential) gives the same key; any change gives another', () => {
    const text = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(text, text, fc.string({ maxLength: 10 }), text, text, fc.string({ maxLength: 10 }), (l1, s1, p1, l2, s2, p2) => {
        const k1 = failureFingerprint(l1, s1, hmac(p1));
        expect(failureFingerprint(l1, s1, hmac(p1))).toBe(k1);
        const k2 = failureFingerprint(l2, s2, hmac(p2));
        expect(k1 === k2).toBe(l1 === l2 && s1 === s2 && p1 === p2);
      }),
    );
  });

  it('field boundaries cannot be shifted to collide', () => {
    const h = hmac('p');
    expect(failureFingerprint('a","b', 'c', h)).not.toBe(failureFingerprint('a', 'b","c', h));
    expect(failureFingerprint('ab', 'c', h)).not.toBe(failureFingerprint('a', 'bc', h));
  });
});

describe('per-login cap across subnets', () => {
  it('refuses a subnet that already failed once the login has many failures, never a clean one', () => {
    const limits = { ...DEFAULT_THROTTLE_LIMITS, refuseLoginAt: 100 };
    expect(throttleDecision({ loginSubnetFailures: 1, subnetFailures: 1, loginFailures: 100 }, limits).action).toBe('refuse');
    expect(throttleDecision({ loginSubnetFailures: 0, subnetFailures: 0, loginFailures: 10_000 }, limits).action).toBe('allow');
    expect(throttleDecision({ loginSubnetFailures: 1, subnetFailures: 1, loginFailures: 99 }, limits).action).toBe('allow');
  });
});

