import { describe, expect, it } from 'vitest';
import { mustHaveSecondFactor } from './policy.js';

describe('who must have a second factor', () => {
  it.each([
    [false, false, 'user', false],
    [false, false, 'admin', false],
    [true, false, 'admin', true],
    [true, false, 'user', false],
    [false, true, 'user', true],
    [false, true, 'admin', true],
    [true, true, 'user', true],
  ] as const)('REQUIRE_ADMIN_2FA=%s REQUIRE_2FA=%s: %s → %s', (requireAdmin2fa, require2fa, role, expected) => {
    expect(mustHaveSecondFactor(role, { requireAdmin2fa, require2fa })).toBe(expected);
  });
});
