import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AuthPolicy } from '../auth/auth.decorators.js';
import type { AuthMethod, Principal } from '../auth/principal.js';
import { PrincipalStep } from './principal-step.js';
import type { RouteAccess } from './route-table.js';

const principal = (method: AuthMethod, role: 'user' | 'admin' = 'user'): Principal => ({ method, account: { id: 'a1', login: 'alice', role }, sublogin: null, application: null, scopes: null });
const route = (auth: Partial<AuthPolicy> = {}): RouteAccess => ({ auth: { methods: ['basic'], admin: false, ...auth }, apiKey: null, acl: null, aclPerResource: null, challenges: undefined });
const request = (query: Record<string, unknown> = {}, body?: unknown) => ({ query, body }) as FastifyRequest;

describe('PrincipalStep', () => {
  const step = new PrincipalStep();

  it("makes the principal the request's", () => {
    const req = request();
    step.attach(req, route(), principal('basic'));
    expect(req.principal).toEqual(principal('basic'));
  });

  it('takes the OTP it authenticated out of the query, or else the body, so handlers never see it', () => {
    const inQuery = request({ otp: 'alice:1:s:a', path: '/x' }, { otp: 'kept' });
    step.attach(inQuery, route(), principal('otp'));
    expect(inQuery.query).toEqual({ path: '/x' });
    expect(inQuery.body).toEqual({ otp: 'kept' });
    const inBody = request({}, { otp: 'alice:1:s:a', name: 'n' });
    step.attach(inBody, route(), principal('otp'));
    expect(inBody.body).toEqual({ name: 'n' });
    // Another method leaves an `otp` parameter alone (the handler refuses it as unknown).
    const other = request({ otp: 'x' });
    step.attach(other, route(), principal('basic'));
    expect(other.query).toEqual({ otp: 'x' });
  });

  it('refuses a non-operator on an operator route, after making it the request\'s (accounting)', () => {
    const req = request();
    expect(() => step.attach(req, route({ admin: true }), principal('session'))).toThrow(expect.objectContaining({ code: 'admin_required' }));
    expect(req.principal).toBeDefined();
    expect(() => step.attach(request(), route({ admin: true }), principal('session', 'admin'))).not.toThrow();
  });

  it('acts for no one on a route open to an address allow-list', () => {
    const req = request();
    step.attach(req, route({ methods: ['session'], admin: true, orFrom: 'METRICS_ALLOW' }), principal('session', 'admin'));
    expect(req.principal).toBeUndefined();
    expect(() => step.attach(req, route({ methods: ['session'], admin: true, orFrom: 'METRICS_ALLOW' }), principal('session'))).toThrow(expect.objectContaining({ code: 'admin_required' }));
  });
});
