import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DavHeaderError } from './header-syntax.js';
import { normalizeHost, parseDestination, parseOverwrite } from './transfer-headers.js';
import { headerError } from '../../../test/support/dav-header-error.js';

describe('parseDestination', () => {
  it.each<[string, { scheme: string | null; host: string | null; rawPath: string; path: string }]>([
    ['http://www.example.com/dav/a%20b', { scheme: 'http', host: 'www.example.com', rawPath: '/dav/a%20b', path: '/dav/a b' }],
    ['HTTPS://WWW.Example.com:443/dav/', { scheme: 'https', host: 'www.example.com', rawPath: '/dav/', path: '/dav/' }],
    ['http://example.com:8080/dav/%C3%A4?q=1', { scheme: 'http', host: 'example.com:8080', rawPath: '/dav/%C3%A4', path: '/dav/ä' }],
    ['http://[::1]:80/x', { scheme: 'http', host: '[::1]', rawPath: '/x', path: '/x' }],
    ['http://example.com', { scheme: 'http', host: 'example.com', rawPath: '/', path: '/' }],
    ['/dav/new%25name', { scheme: null, host: null, rawPath: '/dav/new%25name', path: '/dav/new%name' }],
    ['/dav/a;b=c', { scheme: null, host: null, rawPath: '/dav/a;b=c', path: '/dav/a;b=c' }],
    [' /dav/x ', { scheme: null, host: null, rawPath: '/dav/x', path: '/dav/x' }],
  ])('%s', (raw, expected) => {
    expect(parseDestination(raw)).toEqual(expected);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['relative', 'dav/x'],
    ['network-path', '//evil.example/dav/x'],
    ['ftp', 'ftp://example.com/x'],
    ['no host', 'http:///x'],
    ['fragment', 'http://example.com/x#frag'],
    ['space', 'http://example.com/a b'],
    ['raw non-ASCII', '/dav/ä'],
    ['bad escape', '/dav/%zz'],
    ['truncated escape', '/dav/%4'],
    ['invalid UTF-8 escape', '/dav/%FF'],
    ['overlong UTF-8 escape', '/dav/%C0%AF'],
    ['encoded slash', '/dav/a%2Fb'],
    ['encoded backslash', '/dav/a%5Cb'],
    ['encoded NUL', '/dav/a%00'],
    ['dot-dot', '/dav/../etc'],
    ['encoded dot-dot', '/dav/%2e%2E/etc'],
    ['dot', 'http://example.com/dav/./x'],
    ['raw control character', '/dav/\u0001'],
  ])('refuses %s', (_, raw) => {
    expect(headerError(() => parseDestination(raw)).header).toBe('Destination');
  });

  it.each([
    ['http://user:pw@example.com/x', 'http', 'example.com'],
    ['http://lftpuser:secret-1@127.0.0.1:8080/dav/moved.txt', 'http', '127.0.0.1:8080'],
    ['https://u%40x:p%3A%2Fss@[::1]:443/dav/a', 'https', '[::1]'],
    ['http://user@example.com:80/x', 'http', 'example.com'],
    ['http://us@er:p@ss@example.com/x', 'http', 'example.com'], // an unencoded @: the last one ends the user info
  ])('drops the user info of %s, keeping none of it', (raw, scheme, host) => {
    const dest = parseDestination(raw);
    expect(dest).toMatchObject({ scheme, host });
    expect(JSON.stringify(dest)).not.toMatch(/pw|secret|p%3A|ss@|user|lftpuser/);
  });

  it('refuses user info without a host', () => {
    expect(headerError(() => parseDestination('http://user:pw@/x')).reason).toBe('no host');
  });

  it('decodes once: %252e%252e is the name "%2e%2e", not ..', () => {
    expect(parseDestination('/dav/%252e%252e/x').path).toBe('/dav/%2e%2e/x');
  });

  it('normalizeHost matches what parseDestination returns', () => {
    expect(normalizeHost('WWW.example.com:80', 'http')).toBe('www.example.com');
    expect(normalizeHost('example.com:443', 'http')).toBe('example.com:443');
    expect(normalizeHost('example.com:443', 'https')).toBe('example.com');
  });

  it('decoded path and raw path agree for any path (property-based)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !/[/\\\u0000]/.test(s) && s !== '.' && s !== '..')), (segments) => {
        const path = `/${segments.join('/')}`;
        const raw = `/${segments.map(encodeURIComponent).join('/')}`;
        expect(parseDestination(`https://example.com${raw}`)).toEqual({ scheme: 'https', host: 'example.com', rawPath: raw, path });
      }),
    );
  });
});

describe('parseOverwrite', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['T', true],
    ['F', false],
    ['f', false],
    [' T ', true],
  ])('%j → %s', (raw, expected) => {
    expect(parseOverwrite(raw)).toBe(expected);
  });

  it.each(['', 'true', 'Y', 'TF'])('refuses %j', (raw) => {
    expect(() => parseOverwrite(raw)).toThrow(DavHeaderError);
  });
});
