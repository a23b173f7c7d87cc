import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.js';
import { appPasswordSpec } from './app-password-input.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('appPasswordSpec', () => {
  it('normalises ranges and rules, and reads the expiry', () => {
    expect(
      appPasswordSpec(
        { name: 'nas', expiresAt: '2026-12-05T17:00:00Z', allowedRanges: ['192.0.2.7', '10.0.0.0/8', '192.0.2.7/32'], rules: [{ path: '/DAV/read/backup/', effect: 'allow' }] },
        NOW,
      ),
    ).toEqual({ name: 'nas', expiresAt: new Date('2026-12-05T17:00:00Z'), allowedRanges: ['192.0.2.7/32', '10.0.0.0/8'], rules: [{ path: '/dav/read/backup', effect: 'allow' }] });
  });

  it('keeps "none given" apart from "nothing allowed": no rules is full rights, an empty rule set allows nothing', () => {
    expect(appPasswordSpec({ name: 'a' }, NOW)).toEqual({ name: 'a', expiresAt: null, allowedRanges: null, rules: null });
    expect(appPasswordSpec({ name: 'a', rules: [], allowedRanges: [] }, NOW)).toEqual({ name: 'a', expiresAt: null, allowedRanges: null, rules: [] });
  });

  it.each([
    ['an empty name', { name: '' }, 'validation_failed'],
    ['an expiry now', { name: 'a', expiresAt: new Date(NOW).toISOString() }, 'validation_failed'],
    ['an expiry in the past', { name: 'a', expiresAt: '2020-01-01T00:00:00Z' }, 'validation_failed'],
    ['an expiry that is no date', { name: 'a', expiresAt: 'friday' }, 'validation_failed'],
    ['a range that is none', { name: 'a', allowedRanges: ['10.0.0.0/33'] }, 'validation_failed'],
    ['a rule with an unknown class', { name: 'a', rules: [{ path: '/nope/', effect: 'allow' as const }] }, 'acl_rule_invalid'],
    ['one path with both effects', { name: 'a', rules: [{ path: '/dav/', effect: 'allow' as const }, { path: '/dav', effect: 'deny' as const }] }, 'acl_rule_invalid'],
  ])('refuses %s', (_what, input, expected) => {
    expect(code(() => appPasswordSpec(input, NOW))).toBe(expected);
  });
});
