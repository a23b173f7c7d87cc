import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import type { Principal } from '../auth/principal.js';
import type { VerificationCache } from '../auth/verification-cache.js';
import type { BearerTokens } from '../oauth/bearer-tokens.js';
import { CachedCredentials } from './cached-credentials.js';

const sub: Principal = { method: 'basic', account: { id: 'a1', login: 'alice', role: 'user' }, sublogin: { id: 's1', login: 'alice-sync', name: 'sync' }, application: null, scopes: null };
const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as FastifyRequest;

function cached(hits: { basic?: Principal; bearer?: { principal: Principal; grantId: string } } = {}) {
  const verified = { key: vi.fn((method: string, credential: string) => `${method}:${credential}`), get: vi.fn((key: string) => (key.startsWith('basic:') ? hits.basic : undefined)) };
  const tokens = { cached: vi.fn(() => hits.bearer) };
  return { lookup: new CachedCredentials(verified as unknown as VerificationCache, tokens as unknown as BearerTokens), verified, tokens };
}

describe('CachedCredentials', () => {
  it('finds a Basic credential under its header as sent, with its last use (the sublogin)', () => {
    const { lookup, verified } = cached({ basic: sub });
    expect(lookup.lookup('basic', request('Basic YWxpY2U6eA=='))).toEqual({ principal: sub, verification: { lastUse: { kind: 'sublogin', id: 's1' } } });
    expect(verified.key).toHaveBeenCalledWith('basic', 'Basic YWxpY2U6eA==');
  });

  it('does not look for a header of another scheme, or none', () => {
    const { lookup, verified } = cached({ basic: sub });
    expect(lookup.lookup('basic', request('Bearer abc'))).toBeUndefined();
    expect(lookup.lookup('basic', request())).toBeUndefined();
    expect(verified.get).not.toHaveBeenCalled();
  });

  it('finds a Bearer token with its grant, and nothing for methods without a cache', () => {
    const { lookup, tokens } = cached({ bearer: { principal: { ...sub, method: 'bearer' }, grantId: 'g1' } });
    expect(lookup.lookup('bearer', request('Bearer abcdef'))).toMatchObject({ verification: { lastUse: { kind: 'grant', id: 'g1' } } });
    expect(tokens.cached).toHaveBeenCalledWith('abcdef');
    expect(lookup.lookup('otp', request('Bearer abcdef'))).toBeUndefined();
    expect(lookup.lookup('session', request())).toBeUndefined();
  });

  it('misses when nothing was verified recently: the strategy then decides', () => {
    expect(cached().lookup.lookup('basic', request('Basic YWxpY2U6eA=='))).toBeUndefined();
  });
});
