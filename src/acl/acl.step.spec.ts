import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import type { Principal } from '../auth/principal.js';
import { aclSpecificOf } from './acl-specific.js';
import type { AclSpec } from './acl.decorators.js';
import type { AclService } from './acl.service.js';
import { AclStep, aclPathsOf } from './acl.step.js';

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

describe('AclStep', () => {
  const sublogin: Principal = { method: 'basic', account: { id: 'a1', login: 'alice', role: 'user' }, sublogin: { id: 's1', login: 'alice-sync', name: 'sync' }, application: null, scopes: null };
  const move = (specific?: AclSpec['specific']): AclSpec => ({ cls: 'file', action: 'move', specific });

  it('decides nothing without a handler @Acl, or without a principal (a public route)', () => {
    const acl = { require: vi.fn() };
    const step = new AclStep(acl as unknown as AclService);
    expect(step.check(req(), null, sublogin)).toBeUndefined();
    expect(step.check(req(), move(), undefined)).toBeUndefined();
    expect(acl.require).not.toHaveBeenCalled();
  });

  it('requires every path the request acts on, in order, the first refusal answering', async () => {
    const acl = { require: vi.fn((_p: Principal, path: string) => (path.endsWith('/keep/b') ? Promise.reject(new Error(`denied ${path}`)) : undefined)) };
    const step = new AclStep(acl as unknown as AclService);
    const both = move((r) => [String((r.body as { from: string }).from), String((r.body as { to: string }).to)]);
    expect(step.check(req({}, { from: 'tmp/a', to: 'tmp/b' }), both, sublogin)).toBeUndefined();
    await expect(step.check(req({}, { from: 'tmp/a', to: 'keep/b' }), both, sublogin)).rejects.toThrow('denied /file/move/keep/b');
    expect(acl.require.mock.calls.map(([, path]) => path)).toEqual(['/file/move/tmp/a', '/file/move/tmp/b', '/file/move/tmp/a', '/file/move/keep/b']);
  });

  it('answers without a promise while the rules are cached, and waits for a load when they are not', async () => {
    let loaded = false;
    const acl = { require: vi.fn(() => (loaded ? undefined : Promise.resolve().then(() => void (loaded = true)))) };
    const step = new AclStep(acl as unknown as AclService);
    const pending = step.check(req(), move(), sublogin);
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(step.check(req(), move(), sublogin)).toBeUndefined();
  });
});
