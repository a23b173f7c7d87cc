import { LinkStrategy } from '../links/link.strategy.js';
import type { LinksService } from '../links/links.service.js';
import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import passport from 'passport';
import { describe, expect, it, vi } from 'vitest';
import type { BasicVerifier } from '../auth/basic-verifier.service.js';
import type { Principal } from '../auth/principal.js';
import type { SessionsService } from '../auth/sessions.service.js';
import { BasicStrategy } from '../auth/strategies/basic.strategy.js';
import { SessionStrategy } from '../auth/strategies/session.strategy.js';
import { CredentialRefused, type Verification } from '../auth/verification.js';
import { loadConfig } from '../config/config.js';
import { DomainError } from '../errors/domain-error.js';
import type { BearerTokens } from '../oauth/bearer-tokens.js';
import { BearerStrategy } from '../oauth/bearer.strategy.js';
import type { OtpVerifier } from '../otp/otp-verifier.service.js';
import { OtpStrategy } from '../otp/otp.strategy.js';
import { CredentialStrategies } from './credential-strategies.js';

const alice: Principal = { method: 'basic', account: { id: 'a1', login: 'alice', role: 'user' }, sublogin: null, application: null, scopes: null };
const info: Verification = { audit: { type: 'auth.basic', login: 'alice' } };
const request = (over: Record<string, unknown> = {}) => ({ ip: '127.0.0.1', method: 'GET', headers: {}, query: {}, cookies: {}, ...over }) as unknown as FastifyRequest;
const res = {} as ServerResponse;
const basicHeader = (id: string, pw: string) => `Basic ${Buffer.from(`${id}:${pw}`).toString('base64')}`;

function strategies() {
  const basicVerifier = { verify: vi.fn(async () => ({ principal: alice, verification: info })) };
  const otpVerifier = { verify: vi.fn(async () => ({ principal: { ...alice, method: 'otp' as const }, verification: { audit: { type: 'auth.otp' as const, login: 'alice' } } })) };
  const tokens = { verify: vi.fn() };
  const sessions = { resolve: vi.fn(async () => null) };
  const all = new CredentialStrategies(
    new BasicStrategy(basicVerifier as unknown as BasicVerifier),
    new BearerStrategy(tokens as unknown as BearerTokens, loadConfig({})),
    new OtpStrategy(otpVerifier as unknown as OtpVerifier),
    new SessionStrategy(sessions as unknown as SessionsService),
    new LinkStrategy({} as LinksService),
  );
  return { all, basicVerifier, otpVerifier, tokens, sessions };
}

describe('CredentialStrategies (the declared strategies, run through passport.authenticate)', () => {
  it('answers a verified Basic credential with the principal and what to record (Passport\'s info)', async () => {
    const { all, basicVerifier } = strategies();
    const header = basicHeader('alice', 'pass:with:colons');
    expect(await all.run('basic', request({ headers: { authorization: header } }), res)).toEqual({ principal: alice, verification: info });
    expect(basicVerifier.verify).toHaveBeenCalledWith({ login: 'alice', password: 'pass:with:colons', header }, expect.objectContaining({ ip: '127.0.0.1' }));
  });

  it('says "not mine" (null) for no Authorization header or another scheme, without verifying', async () => {
    const { all, basicVerifier } = strategies();
    expect(await all.run('basic', request(), res)).toBeNull();
    expect(await all.run('basic', request({ headers: { authorization: 'Bearer abc' } }), res)).toBeNull();
    expect(await all.run('bearer', request({ headers: { authorization: basicHeader('a', 'b') } }), res)).toBeNull();
    expect(await all.run('otp', request(), res)).toBeNull();
    expect(await all.run('session', request(), res)).toBeNull();
    expect(basicVerifier.verify).not.toHaveBeenCalled();
  });

  it('rejects a malformed header with malformed_authorization (Bearer\'s with its RFC 6750 challenge)', async () => {
    const { all } = strategies();
    await expect(all.run('basic', request({ headers: { authorization: 'Basic !!!' } }), res)).rejects.toMatchObject({ code: 'malformed_authorization' });
    await expect(all.run('bearer', request({ headers: { authorization: 'Bearer' } }), res)).rejects.toMatchObject({
      code: 'malformed_authorization',
      headers: { 'WWW-Authenticate': expect.stringContaining('error="invalid_request"') },
    });
  });

  it('passes a refusal through as it was raised, facts and all', async () => {
    const { all, tokens } = strategies();
    const refusal = { login: null, audit: { type: 'auth.bearer' as const, code: 'invalid_token' as const, login: null, accountId: null, every: 'refusal' as const } };
    tokens.verify.mockResolvedValue({ refusal });
    const err = await all.run('bearer', request({ headers: { authorization: 'Bearer abcdef' } }), res).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialRefused);
    expect((err as CredentialRefused).refusal).toBe(refusal);
    expect((err as CredentialRefused).answer).toBeInstanceOf(DomainError);
    expect((err as CredentialRefused).answer).toMatchObject({ code: 'invalid_token', headers: { 'WWW-Authenticate': expect.stringContaining('error="invalid_token"') } });
  });

  it('reads an OTP from the query without touching the request (the pipeline consumes it)', async () => {
    const { all, otpVerifier } = strategies();
    const req = request({ query: { otp: 'alice:1:s:a' } });
    expect(await all.run('otp', req, res)).toMatchObject({ principal: { method: 'otp' } });
    expect(otpVerifier.verify).toHaveBeenCalledWith('alice:1:s:a', expect.objectContaining({ ip: '127.0.0.1' }));
    expect(req.query).toEqual({ otp: 'alice:1:s:a' });
  });

  it('keeps each app\'s strategies to itself: nothing is registered in Passport\'s process-wide instance', async () => {
    const a = strategies();
    const b = strategies();
    await a.all.run('basic', request({ headers: { authorization: basicHeader('alice', 'x') } }), res);
    expect(a.basicVerifier.verify).toHaveBeenCalledTimes(1);
    expect(b.basicVerifier.verify).not.toHaveBeenCalled();
    const global = passport as unknown as { _strategies: Record<string, unknown> };
    for (const method of ['basic', 'bearer', 'otp']) expect(global._strategies[method]).toBeUndefined();
    expect(global._strategies.session).not.toBeInstanceOf(SessionStrategy);
  });
});
