import { describe, expect, it } from 'vitest';
import { type ConditionalHeaders, evaluateConditions } from './http-conditions.js';

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
