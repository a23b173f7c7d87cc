import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { aclSpecificOf } from './acl-specific.js';
import type { AclSpec } from './acl.decorators.js';
import { aclPathsOf } from './acl.guard.js';

const req = (query: Record<string, unknown> = {}, body: unknown = undefined) => ({ query, body }) as unknown as FastifyRequest;
const spec = (specific?: AclSpec['specific']): AclSpec => ({ cls: 'file', action: 'move', specific });

describe('aclPathsOf', () => {
  it('is the bare action without a specific part (or with an empty list)', () => {
    expect(aclPathsOf(spec(), req())).toEqual(['/file/move']);
    expect(aclPathsOf(spec(() => undefined), req())).toEqual(['/file/move']);
    expect(aclPathsOf(spec(() => []), req())).toEqual(['/file/move']);
    expect(aclPathsOf(spec(() => ''), req())).toEqual(['/file/move']);
  });

  it('canonicalises every specific part, with or without a leading slash', () => {
    const s = spec((r) => [(r.body as { from: string }).from, (r.body as { to: string }).to]);
    expect(aclPathsOf(s, req({}, { from: '/Docs//a/./b.txt', to: 'tmp/x/../y' }))).toEqual(['/file/move/Docs/a/b.txt', '/file/move/tmp/y']);
  });

  it.each([['/../delete/x'], ['/a/%2F/b'], ['/a/%zz'], ['/a/\u0000']])('answers 400 path_invalid for %j', (bad) => {
    expect(() => aclPathsOf(spec(() => bad), req())).toThrow(expect.objectContaining({ code: 'path_invalid', status: 400 }));
  });
});

describe('aclSpecificOf', () => {
  it('encodes each segment of a decoded value so it is decided as itself', () => {
    expect(aclSpecificOf('docs/a b.txt')).toBe('/docs/a%20b.txt');
    expect(aclSpecificOf('/docs/100%/x;y')).toBe('/docs/100%25/x%3By');
    expect(aclPathsOf(spec(() => aclSpecificOf('/docs/100%/x;y')), req())).toEqual(['/file/move/docs/100%/x;y']);
    expect(aclPathsOf(spec(() => aclSpecificOf('a%2e%2e')), req())).toEqual(['/file/move/a%2e%2e']);
  });

  it('keeps dot segments meaningful and refuses a separator hidden in a name', () => {
    expect(aclPathsOf(spec(() => aclSpecificOf('tmp/../keep')), req())).toEqual(['/file/move/keep']);
    expect(() => aclPathsOf(spec(() => aclSpecificOf('../../delete')), req())).toThrow(expect.objectContaining({ code: 'path_invalid' }));
    expect(() => aclPathsOf(spec(() => aclSpecificOf('a\\b')), req())).toThrow(expect.objectContaining({ code: 'path_invalid' }));
  });

  it('is undefined for a value that is not a string', () => {
    expect(aclSpecificOf(undefined)).toBeUndefined();
    expect(aclSpecificOf(['a'])).toBeUndefined();
    expect(aclSpecificOf({ toString: () => 'a' })).toBeUndefined();
  });
});
