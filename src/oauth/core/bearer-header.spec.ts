import { describe, expect, it } from 'vitest';
import { MAX_BEARER_TOKEN_LENGTH, parseBearerAuthorization } from './bearer-header.js';

describe('parseBearerAuthorization (RFC 6750 §2.1)', () => {
  it.each([
    ['Bearer abc.DEF-ghi_~+/', 'abc.DEF-ghi_~+/'],
    ['bearer tok==', 'tok=='],
    ['BEARER   spaced', 'spaced'],
  ])('reads %s', (header, token) => {
    expect(parseBearerAuthorization(header)).toEqual({ kind: 'bearer', token });
  });

  it.each([undefined, 'Basic YTpi', 'Bearerish abc', 'Digest x', 'Bear'])('%s is not a Bearer credential', (header) => {
    expect(parseBearerAuthorization(header)).toEqual({ kind: 'none' });
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a=b', 'Bearer ä', `Bearer ${'a'.repeat(MAX_BEARER_TOKEN_LENGTH + 1)}`, 'Bearer a\tb'])('%j is malformed', (header) => {
    expect(parseBearerAuthorization(header)).toEqual({ kind: 'malformed' });
  });

  it('refuses several Authorization headers', () => {
    expect(parseBearerAuthorization(['Bearer a', 'Bearer b'])).toEqual({ kind: 'malformed' });
  });
});
