import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { StatsService } from '../stats/stats.service.js';
import { AUTH_POLICY, type AuthPolicy } from './auth.decorators.js';
import { FailureOwners } from './failure-owner.js';
import type { AuthMethod } from './principal.js';
import { StrategyRegistry } from './strategy-registry.js';
import { assertSecureTransport } from './tls-policy.js';

/**
 * The global authentication guard (deny by default). It reads the route's declared methods,
 * tries each in order — the verification cache first, then the method's Passport strategy —
 * and answers 401 with every accepted method's challenge when none authenticates.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: StrategyRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly stats: StatsService,
    private readonly failureOwners: FailureOwners,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    // Handler metadata first: a route's own declaration beats its controller's default.
    const policy = this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [ctx.getHandler(), ctx.getClass()]);
    if (!policy) throw new DomainError('forbidden', 'route declares no access policy'); // the start-up check prevents this
    if (policy.methods.length === 0) return true;

    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    // Every 401 of this route names its ways in, wherever it is raised (the API-key guard after
    // this one, a handler): the onSend hook of installChallenges reads it from here.
    req.authChallenges = this.challengesOf(policy);
    assertSecureTransport(req, this.config);

    let tried: string = 'none';
    try {
      for (const method of policy.methods) {
        tried = method;
        const principal = this.registry.extras(method).cached?.(req) ?? (await this.registry.run(method, req));
        if (principal) {
          req.principal = principal;
          break;
        }
      }
    } catch (err) {
      // Counted for the customer whose login (an account, or one of its sublogins) was presented.
      if (err instanceof DomainError) this.stats.recordAuth(tried, err.code, this.failureOwners.accountIdOf(err));
      throw this.withChallenges(err, policy);
    }
    if (!req.principal) {
      this.stats.recordAuth('none', 'authentication_required');
      throw this.withChallenges(new DomainError('authentication_required', this.missingOf(policy)), policy);
    }
    this.stats.recordAuth(req.principal.method, 'success', req.principal.account.id);
    if (policy.admin && req.principal.account.role !== 'admin') throw new DomainError('admin_required', 'operators only');
    return true;
  }

  /** A 401 tells the client every way in (RFC 7235), unless the strategy set its own challenge. */
  private withChallenges(err: unknown, policy: AuthPolicy): unknown {
    if (!(err instanceof DomainError) || err.status !== 401 || err.headers['WWW-Authenticate']) return err;
    const challenges = this.challengesOf(policy);
    if (!challenges) return err;
    return new DomainError(err.code, err.message, { ...err.headers, 'WWW-Authenticate': challenges }, err.details);
  }

  /** The route's challenges, in its methods' order (computed once per route: policies are its metadata). */
  private challengesOf(policy: AuthPolicy): string | undefined {
    let known = this.challenges.get(policy);
    if (known === undefined) {
      known = policy.methods.map((m) => this.registry.extras(m).challenge?.()).filter((c): c is string => !!c).join(', ');
      this.challenges.set(policy, known);
    }
    return known || undefined;
  }
  private readonly challenges = new WeakMap<AuthPolicy, string>();

  /** What a request without credentials is told: the ways in this route accepts, for a person. */
  private missingOf(policy: AuthPolicy): string {
    return `this route needs credentials: ${listOr(policy.methods.map((m) => WAYS_IN[m]))}`;
  }
}

/** Each method as a person would look for it. */
const WAYS_IN: Readonly<Record<AuthMethod, string>> = {
  basic: "HTTP Basic (a sublogin's own password as CUSTOMER-NAME, or the account's external application connection password from MyPage)",
  bearer: 'an OAuth 2 Bearer token',
  otp: 'a one-time password (otp=LOGIN:EXPIRE:SALT:AUTH in the query or body)',
  session: 'a session (sign in at /sign-in, or POST /auth/login)',
};

function listOr(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** WWW-Authenticate of the route's accepted methods, set by the AuthGuard (absent on public routes). */
    authChallenges?: string;
  }
}
