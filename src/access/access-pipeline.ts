import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AclStep } from '../acl/acl.step.js';
import { ApiKeyStep } from '../api-keys/api-key.step.js';
import { requestMeta } from '../auth/request-meta.js';
import type { Principal } from '../auth/principal.js';
import { AuthOutcome, type CredentialAttempt } from './auth-outcome.js';
import { CredentialStep } from './credential-step.js';
import { LimitsStep } from './limits-step.js';
import { PrincipalStep } from './principal-step.js';
import type { RouteAccess } from './route-table.js';
import { SecondFactorStep } from './second-factor-step.js';

/**
 * Who may do what, decided for every request in this order, each step a class of its own:
 * 1. credential: the route's methods tried in order (verification cache, then the Passport
 *    strategy), then the limits of the credential found (expiry, address ranges: LimitsStep, on
 *    cached verifications too); the outcome — success, refusal, nothing presented — recorded once
 *    (AuthOutcome);
 * 2. principal: it becomes the request's, and operator routes refuse everyone else; a sensitive
 *    action (`@RecentSecondFactor()`) by a session needs a second factor given within 10 minutes;
 * 3. API key: needed or checked per the route's policy, before the ACL, so a request without a
 *    valid key learns nothing of the ACL's decision; it may name the application;
 * 4. ACL: the handler's `@Acl` paths, for sublogins and scoped tokens.
 * Public routes skip 1–2 and have nobody for 3–4 to limit.
 */
@Injectable()
export class AccessPipeline {
  constructor(
    private readonly credential: CredentialStep,
    private readonly limits: LimitsStep,
    private readonly outcome: AuthOutcome,
    private readonly principals: PrincipalStep,
    private readonly secondFactor: SecondFactorStep,
    private readonly apiKey: ApiKeyStep,
    private readonly acl: AclStep,
  ) {}

  /**
   * Synchronous for as long as every step answers at once — a cached credential, a cached key, a
   * cached ACL, nothing to record that waits — which is nearly every request: no promise per
   * step. A step that has to wait (a strategy, a load, a throttle count) hands the rest of the
   * steps, in the same order, to its promise.
   */
  run(req: FastifyRequest, res: ServerResponse, route: RouteAccess): void | Promise<void> {
    const found = this.credential.authenticate(req, res, route);
    if (found instanceof Promise) return found.then((attempt) => this.afterCredential(req, route, attempt));
    return this.afterCredential(req, route, found);
  }

  private afterCredential(req: FastifyRequest, route: RouteAccess, found: CredentialAttempt): void | Promise<void> {
    const attempt = this.limits.apply(req, route, found);
    // A route open to an address allow-list counts no authentication: its scrapes are no one's.
    if (attempt.kind !== 'public' && !route.auth.orFrom) {
      const recording = this.outcome.record(attempt, requestMeta(req));
      if (recording) return recording.then(() => this.afterOutcome(req, route, attempt));
    }
    return this.afterOutcome(req, route, attempt);
  }

  private afterOutcome(req: FastifyRequest, route: RouteAccess, attempt: CredentialAttempt): void | Promise<void> {
    if (attempt.kind === 'refused' || attempt.kind === 'missing' || attempt.kind === 'limited') throw attempt.answer;
    const principal = attempt.kind === 'authenticated' ? attempt.principal : undefined;
    if (principal) {
      this.principals.attach(req, route, principal);
      const checking = this.secondFactor.check(req, route);
      if (checking) return checking.then(() => this.keyAndAcl(req, route, principal));
    }
    return this.keyAndAcl(req, route, principal);
  }

  private keyAndAcl(req: FastifyRequest, route: RouteAccess, principal: Principal | undefined): void | Promise<void> {
    const keyed = this.apiKey.check(req, route.apiKey, principal);
    if (keyed instanceof Promise) return keyed.then((p) => this.aclOf(req, route, principal, p));
    return this.aclOf(req, route, principal, keyed);
  }

  private aclOf(req: FastifyRequest, route: RouteAccess, principal: Principal | undefined, keyed: Principal | undefined): void | Promise<void> {
    // With a valid key, the rest of the request acts through its application.
    if (keyed !== principal) req.principal = keyed;
    return this.acl.check(req, route.acl, keyed);
  }
}
