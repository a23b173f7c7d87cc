import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal.js';
import { SecondFactorStep } from './second-factor-step.js';
import type { RouteAccess } from './route-table.js';

const route = (recent: boolean) => ({ auth: { methods: ['session'], admin: false }, apiKey: null, acl: null, aclPerResource: null, challenges: undefined, secondFactor: { recent, pendingAllowed: [] } }) as RouteAccess;
const session = (at: number | null, role: 'user' | 'admin' = 'user'): Principal => ({
  method: 'session',
  account: { id: 'a1', login: 'alice', role },
  sublogin: null,
  application: null,
  scopes: null,
  sessionId: 's1',
  secondFactor: { factors: ['password'], at, pending: null },
});

/** The step, its answer always as a promise (synchronous answers are checked on their own below). */
function step(o: { hasAny: boolean; required?: boolean }) {
  const real = new SecondFactorStep({ hasAny: async () => o.hasAny } as never, { required: () => o.required ?? false } as never);
  return { check: async (...args: Parameters<SecondFactorStep['check']>) => real.check(...args), real };
}
const req = (principal: Principal) => ({ principal }) as FastifyRequest;
const minutesAgo = (m: number) => Date.now() - m * 60_000;

describe('SecondFactorStep: sensitive actions need a second factor within 10 minutes', () => {
  it('refuses a session whose second factor is older than 10 minutes, or never given, when the account has one', async () => {
    for (const at of [null, minutesAgo(10.5), minutesAgo(60)]) {
      await expect(step({ hasAny: true }).check(req(session(at)), route(true))).rejects.toMatchObject({ code: 'recent_second_factor_required', status: 403 });
    }
  });

  it('lets a recent one through', async () => {
    await expect(step({ hasAny: true }).check(req(session(minutesAgo(9.5))), route(true))).resolves.toBeUndefined();
  });

  it('sends an account that must have a second factor and has none to set one up, except on the set-up routes', async () => {
    await expect(step({ hasAny: false, required: true }).check(req(session(null, 'admin')), route(true))).rejects.toMatchObject({ code: 'second_factor_enrolment_required' });
    const enrolment = { ...route(true), secondFactor: { recent: true, pendingAllowed: ['enrolment'] } } as RouteAccess;
    await expect(step({ hasAny: false, required: true }).check(req(session(null, 'admin')), enrolment)).resolves.toBeUndefined();
  });

  it('leaves alone accounts without (and not required to have) a second factor, programs, and routes that are not sensitive', async () => {
    await expect(step({ hasAny: false }).check(req(session(null)), route(true))).resolves.toBeUndefined();
    await expect(step({ hasAny: true }).check(req({ ...session(null), method: 'basic', secondFactor: undefined }), route(true))).resolves.toBeUndefined();
    await expect(step({ hasAny: true }).check(req(session(null)), route(false))).resolves.toBeUndefined();
  });

  it('answers without a promise when nothing has to be looked up (the pipeline stays synchronous)', async () => {
    expect(step({ hasAny: true }).real.check(req(session(minutesAgo(1))), route(true))).toBeUndefined();
    expect(step({ hasAny: true }).real.check(req(session(null)), route(false))).toBeUndefined();
    const looking = step({ hasAny: true }).real.check(req(session(null)), route(true));
    expect(looking).toBeInstanceOf(Promise);
    await expect(looking).rejects.toMatchObject({ code: 'recent_second_factor_required' });
  });
});
