import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attachmentDisposition, decideRange, ifRangeAllows, noneMatchSatisfied, parseEntityTags } from './conditional.js';

describe('decideRange', () => {
  it.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-1000', 100, { kind: 'partial', start: 90, end: 99 }], // clamped to the end
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=99-99', 100, { kind: 'partial', start: 99, end: 99 }],
    ['BYTES = 1 - 2', 100, { kind: 'partial', start: 1, end: 2 }],
    ['bytes=0-', 1, { kind: 'partial', start: 0, end: 0 }],
    ['bytes=0-99999999999999999999', 100, { kind: 'partial', start: 0, end: 99 }],
    // unsatisfiable: 416
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=100-200', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', 100, { kind: 'unsatisfiable' }],
    // not a single valid byte range: ignored, the whole content is sent
    ['bytes=5-2', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
    ['bytes=0-1,5-6', 100, { kind: 'full' }],
    ['items=0-1', 100, { kind: 'full' }],
    ['bytes=a-b', 100, { kind: 'full' }],
    ['bytes=1.5-2', 100, { kind: 'full' }],
    ['', 100, { kind: 'full' }],
  ])('%j on %i bytes → %j', (header, size, expected) => {
    expect(decideRange(header, size)).toEqual(expected);
  });

  it('property: a partial range always lies inside the content', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.option(fc.nat(2e6)), fc.option(fc.nat(2e6)), (size, a, b) => {
        const d = decideRange(`bytes=${a ?? ''}-${b ?? ''}`, size);
        if (d.kind === 'partial') {
          expect(d.start).toBeGreaterThanOrEqual(0);
          expect(d.end).toBeGreaterThanOrEqual(d.start);
          expect(d.end).toBeLessThan(size);
        }
      }),
    );
  });
});

describe('entity tags', () => {
  it('parses lists, weak tags, commas inside tags and *', () => {
    expect(parseEntityTags('"a", W/"b" ,"c,d"')).toEqual(['"a"', 'W/"b"', '"c,d"']);
    expect(parseEntityTags(' * ')).toBe('*');
    expect(parseEntityTags('garbage')).toEqual([]);
  });

  it.each([
    [undefined, false],
    ['"x"', true],
    ['W/"x"', true], // If-None-Match uses the weak comparison
    ['"y", "x"', true],
    ['"y"', false],
    ['*', true],
    ['x', false], // unquoted is not a tag
  ])('If-None-Match %j against "x" → %s', (header, expected) => {
    expect(noneMatchSatisfied(header, '"x"')).toBe(expected);
  });

  it('If-Range: strong tag match or the exact Last-Modified date', () => {
    const modified = new Date('2025-01-02T03:04:05.678Z');
    expect(ifRangeAllows(undefined, '"x"', modified)).toBe(true);
    expect(ifRangeAllows('"x"', '"x"', modified)).toBe(true);
    expect(ifRangeAllows('"y"', '"x"', modified)).toBe(false);
    expect(ifRangeAllows('W/"x"', '"x"', modified)).toBe(false); // weak never matches for If-Range
    expect(ifRangeAllows(modified.toUTCString(), '"x"', modified)).toBe(true);
    expect(ifRangeAllows(new Date(modified.getTime() - 1000).toUTCString(), '"x"', modified)).toBe(false);
    expect(ifRangeAllows('not a date', '"x"', modified)).toBe(false);
  });
});

describe('attachmentDisposition', () => {
  it('gives an ASCII fallback and the UTF-8 name, and cannot break the header', () => {
    expect(attachmentDisposition('a.txt')).toBe(`attachment; filename="a.txt"; filename*=UTF-8''a.txt`);
    expect(attachmentDisposition('日本 "x".txt')).toBe(`attachment; filename="__ _x_.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%20%22x%22.txt`);
    expect(attachmentDisposition('')).toBe(`attachment; filename="download"; filename*=UTF-8''`);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => s.isWellFormed()), (name) => {
        expect(attachmentDisposition(name)).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });
});
