import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal.js';
import type { CredentialLimits } from '../common/credential-limits.js';
import { DomainError } from '../errors/domain-error.js';
import type { CredentialAttempt } from './auth-outcome.js';
import { LimitsStep } from './limits-step.js';
import type { RouteAccess } from './route-table.js';

const HOUR = 3_600_000;
const principal = (...limits: CredentialLimits[]): Principal => ({
  method: 'basic',
  account: { id: 'a1', login: 'alice', role: 'user' },
  sublogin: { id: 's1', login: 'alice-backup', name: 'backup' },
  application: null,
  scopes: null,
  ...(limits.length ? { limits } : {}),
});
const route: RouteAccess = { auth: { methods: ['basic'], admin: false }, apiKey: null, acl: null, aclPerResource: null, challenges: 'Basic realm="portcullis"' };
const from = (ip: string | undefined) => ({ ip, headers: {} }) as unknown as FastifyRequest;
const authenticated = (p: Principal): CredentialAttempt => ({ kind: 'authenticated', principal: p, verification: { lastUse: { kind: 'sublogin', id: 's1' } } });

describe('LimitsStep', () => {
  const step = new LimitsStep();

  it('lets a principal without limits, or within them, through unchanged', () => {
    for (const p of [principal(), principal({ expiresAt: Date.now() + HOUR, allowedRanges: ['127.0.0.0/8', '2001:db8::/32'] })]) {
      const attempt = authenticated(p);
      expect(step.apply(from('127.0.0.1'), route, attempt)).toBe(attempt);
    }
  });

  it('refuses an expired credential with 401 credential_expired and the route\'s challenges', () => {
    const p = principal({ expiresAt: Date.now() - 1, allowedRanges: null });
    const out = step.apply(from('127.0.0.1'), route, authenticated(p));
    expect(out).toMatchObject({ kind: 'limited', code: 'credential_expired', principal: p });
    const answer = (out as { answer: DomainError }).answer;
    expect(answer).toBeInstanceOf(DomainError);
    expect(answer.status).toBe(401);
    expect(answer.headers['WWW-Authenticate']).toBe(route.challenges);
  });

  it('refuses an address outside the ranges with 403 address_not_allowed, saying nothing of the expiry that held', () => {
    const p = principal({ expiresAt: Date.now() + HOUR, allowedRanges: ['10.0.0.0/8'] });
    const out = step.apply(from('127.0.0.1'), route, authenticated(p)) as { kind: string; answer: DomainError };
    expect(out.kind).toBe('limited');
    expect(out.answer.code).toBe('address_not_allowed');
    expect(out.answer.status).toBe(403);
    expect(out.answer.headers['WWW-Authenticate']).toBeUndefined();
    expect(out.answer.message).not.toMatch(/expir|10\.0\.0\.0/);
    // No address known (a test socket): not inside any range.
    expect(step.apply(from(undefined), route, authenticated(p))).toMatchObject({ kind: 'limited', code: 'address_not_allowed' });
  });

  it('decides expiry before address, across all the credentials the request came through', () => {
    const p = principal({ expiresAt: null, allowedRanges: ['10.0.0.0/8'] }, { expiresAt: Date.now() - 1, allowedRanges: null });
    expect(step.apply(from('127.0.0.1'), route, authenticated(p))).toMatchObject({ kind: 'limited', code: 'credential_expired' });
    // Each credential's limits hold on their own: one allowing the address does not lift another's ranges.
    const two = principal({ expiresAt: null, allowedRanges: ['127.0.0.1/32'] }, { expiresAt: null, allowedRanges: ['10.0.0.0/8'] });
    expect(step.apply(from('127.0.0.1'), route, authenticated(two))).toMatchObject({ kind: 'limited', code: 'address_not_allowed' });
  });

  it('checks the clock on every call: a principal cached before its expiry is refused after it', () => {
    const p = principal({ expiresAt: Date.now() + 50, allowedRanges: null });
    expect(step.apply(from('127.0.0.1'), route, authenticated(p)).kind).toBe('authenticated');
    const later = Date.now() + 100;
    const real = Date.now;
    Date.now = () => later;
    try {
      expect(step.apply(from('127.0.0.1'), route, authenticated(p)).kind).toBe('limited');
    } finally {
      Date.now = real;
    }
  });

  it('leaves refusals, missing credentials and public routes alone', () => {
    const refused: CredentialAttempt = { kind: 'refused', method: 'basic', error: new Error('x'), answer: new Error('x') };
    expect(step.apply(from('127.0.0.1'), route, refused)).toBe(refused);
    expect(step.apply(from('127.0.0.1'), route, { kind: 'public' })).toEqual({ kind: 'public' });
  });
});
