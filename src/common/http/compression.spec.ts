import { describe, expect, it } from 'vitest';
import { isCompressibleType, negotiateCoding, weakEtag } from './compression.js';

describe('negotiateCoding', () => {
  it.each([
    ['*,gzip', 'gzip'], // the CDN's documented call
    ['*', 'gzip'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['GZIP', 'gzip'],
    [['gzip', 'br'], 'br'],
  ] as const)('%j → %s', (header, coding) => {
    expect(negotiateCoding(header as string | string[])).toBe(coding);
  });

  it.each([undefined, '', 'identity', 'deflate', 'compress', 'gzip;q=0', 'gzip;q=0, br;q=0', 'identity, gzip;q=0'])('%j → none', (header) => {
    expect(negotiateCoding(header)).toBeNull();
  });
});

describe('isCompressibleType', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'application/xml; charset=utf-8', 'application/problem+json', 'text/html; charset=utf-8', 'text/plain', 'text/csv', 'application/javascript', 'image/svg+xml'])('%s: yes', (type) => {
    expect(isCompressibleType(type)).toBe(true);
  });
  it.each(['application/octet-stream', 'application/zip', 'application/gzip', 'image/png', 'image/jpeg', 'video/mp4', 'application/pdf', 'text/event-stream', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'])('%s: no', (type) => {
    expect(isCompressibleType(type)).toBe(false);
  });
});

describe('weakEtag', () => {
  it('weakens a strong tag once', () => {
    expect(weakEtag('"a-b-c"')).toBe('W/"a-b-c"');
    expect(weakEtag('W/"a-b-c"')).toBe('W/"a-b-c"');
  });
});
