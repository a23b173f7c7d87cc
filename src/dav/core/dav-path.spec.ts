import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeRequestPath } from '../../acl/core/acl-path.js';
import { DavPathError, decodeMountPath, isWithinPath, mountOfPath, mountRelative, parentOf, pathOfUrl } from './dav-path.js';

describe('decodeMountPath', () => {
  it.each([
    ['/dav', '/'],
    ['/dav/', '/'],
    ['/dav//', '/'],
    ['/dav/a', '/a'],
    ['/dav/a/', '/a'],
    ['/dav//a//b/', '/a/b'],
    ['/dav/./a/./b', '/a/b'],
    ['/dav/%2e/a', '/a'], // an encoded `.` is `.`
    ['/dav/a%20b/%C3%A4.txt', '/a b/ä.txt'],
    ['/dav/%252e%252e', '/%2e%2e'], // decoded once: a literal name
    ['/dav/a;b', '/a;b'],
    ['/dav/a%3Bb', '/a;b'],
    ['/dav/...', '/...'],
  ])('%s → %s', (raw, decoded) => {
    expect(decodeMountPath('/dav', raw)).toBe(decoded);
  });

  it.each([
    ['/dav/..', 'dot_dot'],
    ['/dav/a/../b', 'dot_dot'],
    ['/dav/%2e%2e', 'dot_dot'],
    ['/dav/%2E%2e/x', 'dot_dot'],
    ['/dav/.%2E', 'dot_dot'],
    ['/dav/a%2Fb', 'separator_in_segment'],
    ['/dav/a%5cb', 'separator_in_segment'],
    ['/dav/a%00b', 'separator_in_segment'],
    ['/dav/%zz', 'bad_percent_encoding'],
    ['/dav/%', 'bad_percent_encoding'],
    ['/dav/%C3', 'invalid_utf8'],
    ['/dav/%ED%A0%80', 'invalid_utf8'], // an encoded lone surrogate
    ['/dav2/a', 'not_in_mount'],
    ['/davx', 'not_in_mount'],
    ['/dav;x=1/a', 'not_in_mount'],
    ['/backup/a', 'not_in_mount'],
  ])('%s is refused (%s)', (raw, reason) => {
    expect(() => decodeMountPath('/dav', raw)).toThrow(expect.objectContaining({ name: 'DavPathError', reason }));
  });

  it('property: a path it accepts decides like the ACL canonicaliser reads the same spelling', () => {
    const segment = fc.oneof(fc.constantFrom('', '.', 'a', 'B', '%2e', '%41', 'x%20y', 'ä', '%C3%A4', 'n;m'), fc.string({ minLength: 1, maxLength: 4 }).map(encodeURIComponent));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        const raw = `/dav/${segments.join('/')}`;
        let decoded: string;
        try {
          decoded = decodeMountPath('/dav', raw);
        } catch (err) {
          expect(err).toBeInstanceOf(DavPathError);
          return;
        }
        // The ACL sees `/dav/read` + the same segments (matrix `;` aside, which the DAV mounts keep).
        const forAcl = `/dav/read${raw.slice('/dav'.length)}`.replaceAll(';', '%3B');
        const escaped = decoded === '/' ? '' : decoded.replace(/[%;]/g, (c) => encodeURIComponent(c));
        expect(canonicalizeRequestPath(forAcl)).toBe(canonicalizeRequestPath(`/dav/read${escaped}`));
      }),
    );
  });
});

describe('helpers', () => {
  it('pathOfUrl cuts query and fragment', () => {
    expect(pathOfUrl('/dav/a?x=1')).toBe('/dav/a');
    expect(pathOfUrl('/dav/a#f')).toBe('/dav/a');
    expect(pathOfUrl('/dav/a')).toBe('/dav/a');
  });

  it('mountOfPath picks the longest prefix on a segment boundary', () => {
    const prefixes = ['/dav', '/backup', '/v2/dav'] as const;
    expect(mountOfPath(prefixes, '/dav/x')).toBe('/dav');
    expect(mountOfPath(prefixes, '/dav')).toBe('/dav');
    expect(mountOfPath(prefixes, '/v2/dav/x')).toBe('/v2/dav');
    expect(mountOfPath(prefixes, '/davx/y')).toBeNull();
    expect(mountOfPath(prefixes, '/api/file')).toBeNull();
  });

  it('mountRelative reads a decoded Destination path', () => {
    expect(mountRelative('/dav', '/dav/a b//c/')).toBe('/a b/c');
    expect(mountRelative('/dav', '/dav')).toBe('/');
    expect(() => mountRelative('/dav', '/dav/a/../b')).toThrow(DavPathError);
    expect(() => mountRelative('/dav', '/backup/a')).toThrow(DavPathError);
  });

  it.each([
    ['/', null],
    ['/a', '/'],
    ['/a/b', '/a'],
  ])('parentOf(%s) = %s', (path, parent) => {
    expect(parentOf(path)).toBe(parent);
  });

  it('isWithinPath is segment-wise', () => {
    expect(isWithinPath('/a/b', '/a')).toBe(true);
    expect(isWithinPath('/a', '/a')).toBe(true);
    expect(isWithinPath('/ab', '/a')).toBe(false);
    expect(isWithinPath('/x', '/')).toBe(true);
  });
});
