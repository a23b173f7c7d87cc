import { describe, expect, it } from 'vitest';
import { limitsAfter, parseLimitsInput } from './credential-limits-input.js';
import { limitsExcess } from './credential-limits.js';

describe('parseLimitsInput', () => {
  it('leaves absent fields absent, null as none, and normalises ranges', () => {
    expect(parseLimitsInput({})).toEqual({});
    expect(parseLimitsInput({ expiresAt: null, allowedRanges: null })).toEqual({ expiresAt: null, allowedRanges: null });
    expect(parseLimitsInput({ expiresAt: '2026-12-31T18:00:00Z', allowedRanges: ['192.0.2.7', '10.0.0.0/8', '10.0.0.0/8'] })).toEqual({
      expiresAt: new Date(Date.UTC(2026, 11, 31, 18)),
      allowedRanges: ['192.0.2.7/32', '10.0.0.0/8'],
    });
    expect(parseLimitsInput({ expiresAt: '2026-12-31' }).expiresAt).toEqual(new Date(Date.UTC(2026, 11, 31)));
    expect(parseLimitsInput({ allowedRanges: [] })).toEqual({ allowedRanges: null });
  });

  it('refuses what is not an instant or a range with validation_failed naming the entry', () => {
    for (const expiresAt of ['tomorrow', '2026-12-31T18:00:00', '2026-13-45T00:00:00Z', '']) {
      expect(() => parseLimitsInput({ expiresAt })).toThrow(expect.objectContaining({ code: 'validation_failed', details: { field: 'expiresAt' } }));
    }
    expect(() => parseLimitsInput({ allowedRanges: ['10.0.0.0/8', 'office'] })).toThrow(expect.objectContaining({ code: 'validation_failed', details: { field: 'allowedRanges', entry: 'office' } }));
    expect(() => parseLimitsInput({ allowedRanges: ['10.0.0.0/33'] })).toThrow(expect.objectContaining({ message: expect.stringContaining('10.0.0.0/33') }));
  });

  it('computes the limits after a change', () => {
    const current = { expiresAt: new Date(1000), allowedRanges: ['10.0.0.0/8'] };
    expect(limitsAfter(current, {})).toEqual({ expiresAt: 1000, allowedRanges: ['10.0.0.0/8'] });
    expect(limitsAfter(current, { expiresAt: null })).toEqual({ expiresAt: null, allowedRanges: ['10.0.0.0/8'] });
    expect(limitsAfter(current, { allowedRanges: null })).toEqual({ expiresAt: 1000, allowedRanges: null });
  });
});

describe('limitsExcess (what a limited actor may give)', () => {
  const own = [{ expiresAt: 5000, allowedRanges: ['10.0.0.0/8', '2001:db8::/32'] }];

  it('accepts an expiry no later and ranges inside its own', () => {
    expect(limitsExcess({ expiresAt: 5000, allowedRanges: ['10.1.0.0/16', '10.2.3.4/32', '2001:db8:1::/48'] }, own)).toBeNull();
    expect(limitsExcess({ expiresAt: 1, allowedRanges: ['10.0.0.0/8'] }, own)).toBeNull();
    // An actor without limits gives anything.
    expect(limitsExcess({ expiresAt: null, allowedRanges: null }, [])).toBeNull();
  });

  it('refuses a later or no expiry', () => {
    expect(limitsExcess({ expiresAt: 5001, allowedRanges: ['10.0.0.0/8'] }, own)).toEqual({ kind: 'expiry' });
    expect(limitsExcess({ expiresAt: null, allowedRanges: ['10.0.0.0/8'] }, own)).toEqual({ kind: 'expiry' });
  });

  it('refuses no ranges, a wider range, or one outside, naming it', () => {
    expect(limitsExcess({ expiresAt: 1, allowedRanges: null }, own)).toEqual({ kind: 'range', range: null });
    expect(limitsExcess({ expiresAt: 1, allowedRanges: ['10.0.0.0/7'] }, own)).toEqual({ kind: 'range', range: '10.0.0.0/7' });
    expect(limitsExcess({ expiresAt: 1, allowedRanges: ['10.0.0.0/8', '11.0.0.1/32'] }, own)).toEqual({ kind: 'range', range: '11.0.0.1/32' });
    expect(limitsExcess({ expiresAt: 1, allowedRanges: ['2001:db9::/48'] }, own)).toEqual({ kind: 'range', range: '2001:db9::/48' });
  });

  it('holds the given limits within each of several own credentials', () => {
    const two = [{ expiresAt: null, allowedRanges: ['10.0.0.0/8'] }, { expiresAt: 3000, allowedRanges: null }];
    expect(limitsExcess({ expiresAt: 3000, allowedRanges: ['10.0.0.0/16'] }, two)).toBeNull();
    expect(limitsExcess({ expiresAt: 4000, allowedRanges: ['10.0.0.0/16'] }, two)).toEqual({ kind: 'expiry' });
  });
});
