import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConditionalHeaders, conditionalHeaders, decideRange, evaluateConditions, firstValue, ifRangeAllows, parseEntityTags } from './conditional.js';

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
    [undefined, 'proceed'],
    ['"x"', 'not_modified'],
    ['W/"x"', 'not_modified'], // If-None-Match uses the weak comparison
    ['"y", "x"', 'not_modified'],
    ['"y"', 'proceed'],
    ['*', 'not_modified'],
    ['x', 'proceed'], // unquoted is not a tag
  ])('If-None-Match %j against "x" on a GET → %s', (header, expected) => {
    expect(evaluateConditions({ ifNoneMatch: header }, { etag: '"x"', modified: new Date() }, true)).toBe(expected);
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

const modified = new Date('2025-03-04T05:06:07.890Z');
const current = { etag: '"abc"', modified };
const at = (offsetSeconds: number) => new Date(Math.floor(modified.getTime() / 1000) * 1000 + offsetSeconds * 1000).toUTCString();

describe('evaluateConditions (RFC 9110 §13.2.2)', () => {
  it.each<[string, ConditionalHeaders, typeof current | null, boolean, string]>([
    ['no conditions', {}, current, false, 'proceed'],
    ['If-Match the tag', { ifMatch: '"abc"' }, current, false, 'proceed'],
    ['If-Match one of a list', { ifMatch: '"x", "abc"' }, current, false, 'proceed'],
    ['If-Match another tag', { ifMatch: '"x"' }, current, false, 'failed'],
    ['If-Match a weak tag (strong comparison)', { ifMatch: 'W/"abc"' }, current, false, 'failed'],
    ['If-Match * on a resource', { ifMatch: '*' }, current, false, 'proceed'],
    ['If-Match * on nothing', { ifMatch: '*' }, null, false, 'failed'],
    ['If-None-Match * on nothing (create only)', { ifNoneMatch: '*' }, null, false, 'proceed'],
    ['If-None-Match * on a resource, PUT', { ifNoneMatch: '*' }, current, false, 'failed'],
    ['If-None-Match the tag, GET', { ifNoneMatch: '"abc"' }, current, true, 'not_modified'],
    ['If-None-Match a weak form of the tag, GET (weak comparison)', { ifNoneMatch: 'W/"abc"' }, current, true, 'not_modified'],
    ['If-None-Match another tag, GET', { ifNoneMatch: '"x"' }, current, true, 'proceed'],
    ['If-Unmodified-Since later', { ifUnmodifiedSince: at(10) }, current, false, 'proceed'],
    ['If-Unmodified-Since the same second', { ifUnmodifiedSince: at(0) }, current, false, 'proceed'],
    ['If-Unmodified-Since earlier', { ifUnmodifiedSince: at(-10) }, current, false, 'failed'],
    ['If-Unmodified-Since ignored beside If-Match', { ifMatch: '"abc"', ifUnmodifiedSince: at(-10) }, current, false, 'proceed'],
    ['If-Unmodified-Since not a date', { ifUnmodifiedSince: 'yesterday' }, current, false, 'proceed'],
    ['If-Modified-Since unchanged, GET', { ifModifiedSince: at(0) }, current, true, 'not_modified'],
    ['If-Modified-Since earlier, GET', { ifModifiedSince: at(-1) }, current, true, 'proceed'],
    ['If-Modified-Since on PUT is ignored', { ifModifiedSince: at(10) }, current, false, 'proceed'],
    ['If-Modified-Since ignored beside If-None-Match', { ifNoneMatch: '"x"', ifModifiedSince: at(10) }, current, true, 'proceed'],
  ])('%s → %s', (_what, headers, resource, safe, expected) => {
    expect(evaluateConditions(headers, resource, safe)).toBe(expected);
  });
});

describe('conditionalHeaders', () => {
  it('reads the four conditional headers of a request', () => {
    const headers = { 'if-match': '"a"', 'if-none-match': '"b"', 'if-modified-since': 'x', 'if-unmodified-since': 'y', 'if-range': '"c"' };
    expect(conditionalHeaders(headers)).toEqual({ ifMatch: '"a"', ifNoneMatch: '"b"', ifModifiedSince: 'x', ifUnmodifiedSince: 'y' });
    expect(conditionalHeaders({})).toEqual({});
  });

  it('takes the first value of a header sent twice', () => {
    expect(firstValue(['"a"', '"z"'])).toBe('"a"');
    expect(firstValue('"a"')).toBe('"a"');
    expect(firstValue(undefined)).toBeUndefined();
  });
});
