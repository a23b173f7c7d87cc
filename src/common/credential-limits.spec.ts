import { describe, expect, it } from 'vitest';
import { limitRefusal, normalizeAddressRanges } from './credential-limits.js';

describe('limitRefusal', () => {
  const now = Date.UTC(2026, 11, 5);

  it('passes a credential without limits', () => {
    expect(limitRefusal({ expiresAt: null, allowedRanges: null }, now, '203.0.113.9')).toBeNull();
    expect(limitRefusal({ expiresAt: null, allowedRanges: [] }, now, undefined)).toBeNull();
  });

  it('refuses at and after the expiry, not before', () => {
    expect(limitRefusal({ expiresAt: now + 1, allowedRanges: null }, now, '::1')).toBeNull();
    expect(limitRefusal({ expiresAt: now, allowedRanges: null }, now, '::1')).toBe('credential_expired');
    expect(limitRefusal({ expiresAt: now - 1, allowedRanges: ['::1/128'] }, now, '10.0.0.1')).toBe('credential_expired');
  });

  it('allows addresses inside the ranges only (IPv4-mapped IPv6 counts as IPv4)', () => {
    const limits = { expiresAt: null, allowedRanges: ['10.0.0.0/8', '2001:db8::/32'] };
    expect(limitRefusal(limits, now, '10.1.2.3')).toBeNull();
    expect(limitRefusal(limits, now, '::ffff:10.1.2.3')).toBeNull();
    expect(limitRefusal(limits, now, '2001:db8::5')).toBeNull();
    expect(limitRefusal(limits, now, '11.0.0.1')).toBe('address_not_allowed');
    expect(limitRefusal(limits, now, '2001:db9::5')).toBe('address_not_allowed');
    expect(limitRefusal(limits, now, undefined)).toBe('address_not_allowed');
  });
});

describe('normalizeAddressRanges', () => {
  it('writes every entry as address/prefix, once', () => {
    expect(normalizeAddressRanges([' 192.0.2.7', '10.0.0.0/8', '10.0.0.0/8', '::1'])).toEqual({ ranges: ['192.0.2.7/32', '10.0.0.0/8', '::1/128'] });
    expect(normalizeAddressRanges(['2001:DB8:0:0::/32', '2001:db8::/32'])).toEqual({ ranges: ['2001:db8::/32'] });
  });

  it.each(['', 'example.com', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129', '10.0.0.0/-1'])('names %j as invalid', (entry) => {
    expect(normalizeAddressRanges(['10.0.0.0/8', entry])).toEqual({ invalid: entry });
  });

  it('refuses more than 32 ranges', () => {
    expect(normalizeAddressRanges(Array.from({ length: 33 }, (_, i) => `10.0.${i}.0/24`))).toHaveProperty('invalid');
  });
});
