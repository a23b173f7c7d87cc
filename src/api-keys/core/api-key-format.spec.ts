import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, generateApiKey, lastFour, presentedApiKey } from './api-key-format.js';

const KEY = '0123456789ABCDEF0123456789ABCDEF';
const OTHER = 'FEDCBA9876543210FEDCBA9876543210';

describe('generateApiKey', () => {
  it('is 128 random bits as 32 upper-case hex digits', () => {
    expect(generateApiKey(Buffer.alloc(16, 0xab))).toBe('AB'.repeat(16));
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey()));
    expect(keys.size).toBe(1000);
    for (const k of keys) expect(k).toMatch(API_KEY_PATTERN);
    expect(() => generateApiKey(Buffer.alloc(8))).toThrow();
    expect(lastFour(KEY)).toBe('CDEF');
  });
});

describe('presentedApiKey', () => {
  it.each<[string, string[], ReturnType<typeof presentedApiKey>]>([
    ['nothing sent', [], { kind: 'none' }],
    ['one key', [KEY], { kind: 'key', key: KEY }],
    ['the same key twice (header and matrix)', [KEY, KEY], { kind: 'key', key: KEY }],
    ['lower case', [KEY.toLowerCase()], { kind: 'malformed', reason: 'format' }],
    ['31 digits', [KEY.slice(1)], { kind: 'malformed', reason: 'format' }],
    ['33 digits', [`${KEY}0`], { kind: 'malformed', reason: 'format' }],
    ['not hex', [`${KEY.slice(1)}G`], { kind: 'malformed', reason: 'format' }],
    ['empty', [''], { kind: 'malformed', reason: 'format' }],
    ['surrounding space', [` ${KEY}`], { kind: 'malformed', reason: 'format' }],
    ['two headers joined by Node', [`${KEY}, ${KEY}`], { kind: 'malformed', reason: 'format' }],
    ['two different keys', [KEY, OTHER], { kind: 'malformed', reason: 'conflicting_values' }],
    ['a good and a bad one', [KEY, 'x'], { kind: 'malformed', reason: 'format' }],
  ])('%s', (_label, values, expected) => {
    expect(presentedApiKey(values)).toEqual(expected);
  });

  it('accepts exactly the 32-digit upper-case hex strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        expect(presentedApiKey([s]).kind === 'key').toBe(/^[0-9A-F]{32}$/.test(s));
      }),
    );
  });
});
