import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import type { AuthPolicy } from '../auth/auth.decorators.js';
import type { AuthMethod, Principal } from '../auth/principal.js';
import { CredentialRefused } from '../auth/verification.js';
import { loadConfig } from '../config/config.js';
import { DomainError } from '../errors/domain-error.js';
import type { CachedCredentials } from './cached-credentials.js';
import { CredentialStep } from './credential-step.js';
import type { CredentialStrategies } from './credential-strategies.js';
import type { RouteAccess } from './route-table.js';

const principal = (method: AuthMethod): Principal => ({ method, account: { id: 'a1', login: 'alice', role: 'user' }, sublogin: null, application: null, scopes: null });
const route = (auth: AuthPolicy, challenges = 'Basic realm="x", Cookie realm="x"'): RouteAccess => ({ auth, apiKey: null, acl: null, aclPerResource: null, challenges });
const request = (over: Partial<FastifyRequest> = {}) => ({ ip: '127.0.0.1', protocol: 'http', headers: {}, ...over }) as FastifyRequest;
const res = {} as ServerResponse;

function step(options: { cached?: Partial<Record<AuthMethod, Principal>>; strategies?: Partial<Record<AuthMethod, () => Promise<Principal | null>>>; env?: Record<string, string> } = {}) {
  const lookup = vi.fn((method: AuthMethod) => {
    const p = options.cached?.[method];
    return p && { principal: p, verification: { lastUse: { kind: 'sublogin' as const, id: 's1' } } };
  });
  const run = vi.fn(async (method: AuthMethod) => {
    const p = await (options.strategies?.[method] ?? (async () => null))();
    return p && { principal: p, verification: { audit: { type: 'auth.basic' as const, login: 'alice' } } };
  });
  const credential = new CredentialStep(loadConfig(options.env ?? {}), { lookup } as unknown as CachedCredentials, { run } as unknown as CredentialStrategies);
  return { credential, lookup, run };
}

describe('CredentialStep', () => {
  it('lets a public route through without looking at any credential', async () => {
    const { credential, lookup, run } = step();
    const req = request();
    expect(await credential.authenticate(req, res, route({ methods: [], admin: false }, undefined as never))).toEqual({ kind: 'public' });
    expect(lookup).not.toHaveBeenCalled();
    expect(run).not.toHaveBeenCalled();
    expect(req.authChallenges).toBeUndefined();
  });

  it('takes a cache hit without running the strategy (the argon2-free fast path)', async () => {
    const { credential, run } = step({ cached: { basic: principal('basic') } });
    const attempt = credential.authenticate(request(), res, route({ methods: ['basic', 'session'], admin: false }));
    // Answered at once, without a promise: the pipeline decides a cached request synchronously.
    expect(attempt).not.toBeInstanceOf(Promise);
    expect(attempt).toEqual({ kind: 'authenticated', principal: principal('basic'), verification: { lastUse: { kind: 'sublogin', id: 's1' } } });
    expect(run).not.toHaveBeenCalled();
  });

  it("tries the route's methods in order; \"not mine\" lets the next try", async () => {
    const { credential, run } = step({ strategies: { session: async () => principal('session') } });
    const req = request();
    const attempt = await credential.authenticate(req, res, route({ methods: ['basic', 'otp', 'session'], admin: false }));
    expect(run.mock.calls.map(([m]) => m)).toEqual(['basic', 'otp', 'session']);
    expect(attempt).toMatchObject({ kind: 'authenticated', principal: { method: 'session' } });
    // Every later 401 of the route names its ways in (installChallenges reads this).
    expect(req.authChallenges).toBe('Basic realm="x", Cookie realm="x"');
  });

  it('stops at a refusal, answering with the refusal and the route\'s challenges', async () => {
    const refused = new CredentialRefused(new DomainError('invalid_credentials', 'no'), { login: 'alice' });
    const { credential, run } = step({ strategies: { basic: () => Promise.reject(refused), session: async () => principal('session') } });
    const attempt = await credential.authenticate(request(), res, route({ methods: ['basic', 'session'], admin: false }));
    expect(run).toHaveBeenCalledTimes(1);
    expect(attempt).toMatchObject({ kind: 'refused', method: 'basic', error: refused });
    const answer = (attempt as { answer: DomainError }).answer;
    expect(answer).toBeInstanceOf(DomainError);
    expect(answer).toMatchObject({ code: 'invalid_credentials', headers: { 'WWW-Authenticate': 'Basic realm="x", Cookie realm="x"' } });
  });

  it("keeps a strategy's own challenge (Bearer's invalid_token)", async () => {
    const own = new DomainError('invalid_token', 'no', { 'WWW-Authenticate': 'Bearer realm="x", error="invalid_token"' });
    const { credential } = step({ strategies: { bearer: () => Promise.reject(own) } });
    const attempt = await credential.authenticate(request(), res, route({ methods: ['bearer'], admin: false }));
    expect((attempt as { answer: unknown }).answer).toBe(own);
  });

  it('answers 401 with every way in when no method finds a credential', async () => {
    const { credential } = step();
    const attempt = await credential.authenticate(request(), res, route({ methods: ['basic', 'session'], admin: false }));
    expect(attempt.kind).toBe('missing');
    expect((attempt as { answer: DomainError }).answer).toMatchObject({
      code: 'authentication_required',
      message: expect.stringMatching(/^this route needs credentials: HTTP Basic .* or a session/),
      headers: { 'WWW-Authenticate': 'Basic realm="x", Cookie realm="x"' },
    });
  });

  it('refuses credentials over plain HTTP from a remote client before trying any', async () => {
    const { credential, run } = step();
    await expect(async () => credential.authenticate(request({ ip: '203.0.113.5' }), res, route({ methods: ['basic'], admin: false }))).rejects.toMatchObject({ code: 'tls_required' });
    expect(run).not.toHaveBeenCalled();
  });

  describe('a route open to an address allow-list', () => {
    const scrape = route({ methods: ['session'], admin: true, orFrom: 'METRICS_ALLOW' }, 'Cookie realm="x"');

    it('lets its addresses in without credentials, but not through an unknown proxy', async () => {
      const { credential } = step({ env: { METRICS_ALLOW: '10.0.0.0/8' } });
      // Not over HTTPS either: an allowed address presents no credential to protect.
      expect(await credential.authenticate(request({ ip: '10.1.2.3' }), res, scrape)).toEqual({ kind: 'public' });
      const forwarded = await credential.authenticate(request({ ip: '127.0.0.1', headers: { 'x-forwarded-for': '10.1.2.3' } }), res, route({ methods: ['session'], admin: true, orFrom: 'METRICS_ALLOW' }));
      expect(forwarded.kind).toBe('missing');
    });

    it('refuses everyone else without a session with 403 forbidden, not a challenge', async () => {
      const { credential } = step({ env: { METRICS_ALLOW: 'none' } });
      const attempt = await credential.authenticate(request(), res, scrape);
      expect((attempt as { answer: DomainError }).answer).toMatchObject({ code: 'forbidden', status: 403, message: 'metrics are served to the addresses in METRICS_ALLOW and to signed-in operators' });
    });

    it('takes an operator session from elsewhere', async () => {
      const { credential } = step({ env: { METRICS_ALLOW: 'none' }, strategies: { session: async () => principal('session') } });
      expect(await credential.authenticate(request(), res, scrape)).toMatchObject({ kind: 'authenticated' });
    });
  });
});
