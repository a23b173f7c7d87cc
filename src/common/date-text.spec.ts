import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { httpDate, isoDate, isoDateSeconds } from './date-text.js';

describe('date texts', () => {
  it('property: each form is what the Date method writes, asked once or again', () => {
    const forms: Array<[(d: Date) => string, (d: Date) => string]> = [
      [isoDate, (d) => d.toISOString()],
      [isoDateSeconds, (d) => d.toISOString().replace(/\.\d+Z$/, 'Z')],
      [httpDate, (d) => d.toUTCString()],
    ];
    // A few times, often repeated and neighbouring each other by a millisecond.
    const times = fc.array(fc.integer({ min: 1_764_915_950_000, max: 1_764_915_950_020 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(times, (ms) => {
        for (const t of ms) for (const [form, plain] of forms) expect(form(new Date(t))).toBe(plain(new Date(t)));
      }),
    );
    expect(isoDateSeconds(new Date(1_764_915_950_182))).toBe('2025-12-05T06:25:50Z');
    expect(httpDate(new Date(1_764_915_950_182))).toBe('Fri, 05 Dec 2025 06:25:50 GMT');
  });

  it('refuses an invalid date as toISOString does, every time (nothing is kept for it)', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => isoDate(new Date(Number.NaN))).toThrow(RangeError);
      expect(() => isoDateSeconds(new Date(Number.NaN))).toThrow(RangeError);
    }
  });
});
