import type { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import type { AclSpec } from '../acl/acl.decorators.js';
import type { AuthPolicy } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import { AccessPipeline } from './access-pipeline.js';
import type { CredentialAttempt } from './auth-outcome.js';
import { LimitsStep } from './limits-step.js';
import { PrincipalStep } from './principal-step.js';
import type { RouteAccess } from './route-table.js';

const alice: Principal = { method: 'basic', account: { id: 'a1', login: 'alice', role: 'user' }, sublogin: null, application: null, scopes: null };
const spec: AclSpec = { cls: 'file', action: 'list' };
const route = (auth: Partial<AuthPolicy> = {}): RouteAccess => ({ auth: { methods: ['basic'], admin: false, ...auth }, apiKey: 'required', acl: spec, aclPerResource: null, challenges: undefined });

/** A pipeline whose steps log their calls in order; the principal and API-key steps as given. */
function pipeline(attempt: CredentialAttempt, options: { keyed?: (p: Principal | undefined) => Principal | undefined; sync?: boolean } = {}) {
  const calls: string[] = [];
  const credential = { authenticate: vi.fn(options.sync ? () => (calls.push('credential'), attempt) : async () => (calls.push('credential'), attempt)) };
  const outcome = { record: vi.fn((): void | Promise<void> => void calls.push('outcome')) };
  const realPrincipals = new PrincipalStep();
  const principals = { attach: vi.fn((...args: Parameters<PrincipalStep['attach']>) => (calls.push('principal'), realPrincipals.attach(...args))) };
  const keyStep = (_req: unknown, _policy: unknown, p: Principal | undefined) => (calls.push('api-key'), (options.keyed ?? ((x) => x))(p));
  const apiKey = { check: vi.fn(options.sync ? keyStep : async (...args: Parameters<typeof keyStep>) => keyStep(...args)) };
  const acl = { check: vi.fn(() => void calls.push('acl')) };
  const secondFactor = { check: vi.fn(options.sync ? () => void calls.push('second-factor') : async () => void calls.push('second-factor')) };
  const realLimits = new LimitsStep();
  const limits = { apply: vi.fn((...args: Parameters<LimitsStep['apply']>) => (calls.push('limits'), realLimits.apply(...args))) };
  const run = new AccessPipeline(credential as never, limits as never, outcome as never, principals as never, secondFactor as never, apiKey as never, acl as never);
  return { run: (req: FastifyRequest, r: RouteAccess) => run.run(req, {} as ServerResponse, r), calls, outcome, apiKey, acl };
}

const request = () => ({ ip: '127.0.0.1', headers: {}, id: 'r1' }) as unknown as FastifyRequest;

describe('AccessPipeline', () => {
  it('runs credential → limits → outcome → principal → second factor → API key → ACL, in this order', async () => {
    const p = pipeline({ kind: 'authenticated', principal: alice, verification: {} });
    const req = request();
    await p.run(req, route());
    expect(p.calls).toEqual(['credential', 'limits', 'outcome', 'principal', 'second-factor', 'api-key', 'acl']);
    expect(p.outcome.record).toHaveBeenCalledTimes(1);
    expect(p.outcome.record).toHaveBeenCalledWith({ kind: 'authenticated', principal: alice, verification: {} }, expect.objectContaining({ ip: '127.0.0.1', requestId: 'r1' }));
    expect(p.apiKey.check).toHaveBeenCalledWith(req, 'required', alice);
    expect(p.acl.check).toHaveBeenCalledWith(req, spec, alice);
  });

  it('records a refusal once, then answers with it: no later step runs', async () => {
    const answer = new DomainError('invalid_credentials');
    const p = pipeline({ kind: 'refused', method: 'basic', error: answer, answer });
    await expect(p.run(request(), route())).rejects.toBe(answer);
    expect(p.calls).toEqual(['credential', 'limits', 'outcome']);
  });

  it('records a refusal by the credential\'s limits as such, then answers with it: the principal is not the request\'s', async () => {
    const expired = { ...alice, limits: [{ expiresAt: Date.now() - 1, allowedRanges: null }] };
    const p = pipeline({ kind: 'authenticated', principal: expired, verification: {} });
    const req = request();
    await expect(p.run(req, route())).rejects.toMatchObject({ code: 'credential_expired', status: 401 });
    expect(p.calls).toEqual(['credential', 'limits', 'outcome']);
    expect(p.outcome.record).toHaveBeenCalledWith(expect.objectContaining({ kind: 'limited', code: 'credential_expired', principal: expired }), expect.anything());
    expect(req.principal).toBeUndefined();
  });

  it('answers a request without credentials after recording it', async () => {
    const answer = new DomainError('authentication_required');
    const p = pipeline({ kind: 'missing', answer });
    await expect(p.run(request(), route())).rejects.toBe(answer);
    expect(p.calls).toEqual(['credential', 'limits', 'outcome']);
  });

  it('gives the ACL step the principal with the application of a valid key, and the request too', async () => {
    const withApp = { ...alice, application: { id: 'app1', name: 'Sync' } };
    const p = pipeline({ kind: 'authenticated', principal: alice, verification: {} }, { keyed: () => withApp });
    const req = request();
    await p.run(req, route());
    expect(req.principal).toBe(withApp);
    expect(p.acl.check).toHaveBeenCalledWith(req, spec, withApp);
  });

  it('has nobody to limit on a public route: the API-key and ACL steps get no principal', async () => {
    const p = pipeline({ kind: 'public' });
    const req = request();
    await p.run(req, route({ methods: [] }));
    expect(p.calls).toEqual(['credential', 'limits', 'api-key', 'acl']);
    expect(p.acl.check).toHaveBeenCalledWith(req, spec, undefined);
    expect(req.principal).toBeUndefined();
  });

  it('counts no authentication on a route open to an address allow-list (a scrape is no one\'s)', async () => {
    const p = pipeline({ kind: 'authenticated', principal: { ...alice, account: { ...alice.account, role: 'admin' } }, verification: {} });
    const req = request();
    await p.run(req, route({ methods: ['session'], admin: true, orFrom: 'METRICS_ALLOW' }));
    expect(p.outcome.record).not.toHaveBeenCalled();
    expect(req.principal).toBeUndefined();
  });

  it('decides without a promise when every step answers at once (a cached request), in the same order', () => {
    const p = pipeline({ kind: 'authenticated', principal: alice, verification: {} }, { sync: true });
    const req = request();
    expect(p.run(req, route())).toBeUndefined();
    expect(p.calls).toEqual(['credential', 'limits', 'outcome', 'principal', 'second-factor', 'api-key', 'acl']);
    expect(req.principal).toBe(alice);
    // A refusal is then thrown at once (the guard's caller turns it into the answer).
    const answer = new DomainError('invalid_credentials');
    const refused = pipeline({ kind: 'refused', method: 'basic', error: answer, answer }, { sync: true });
    expect(() => refused.run(request(), route())).toThrow(answer);
    expect(refused.calls).toEqual(['credential', 'limits', 'outcome']);
  });

  it('waits for a step that has to wait before running the next (a throttle count, a key load)', async () => {
    const p = pipeline({ kind: 'authenticated', principal: alice, verification: {} }, { sync: true });
    let counted!: () => void;
    p.outcome.record.mockImplementation(() => new Promise<void>((resolve) => (counted = () => (p.calls.push('outcome'), resolve()))));
    const running = p.run(request(), route());
    expect(running).toBeInstanceOf(Promise);
    expect(p.calls).toEqual(['credential', 'limits']);
    counted();
    await running;
    expect(p.calls).toEqual(['credential', 'limits', 'outcome', 'principal', 'second-factor', 'api-key', 'acl']);
  });
});
