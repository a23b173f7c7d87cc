import type { ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AddressAllowSetting } from '../auth/auth.decorators.js';
import type { AuthMethod } from '../auth/principal.js';
import { assertSecureTransport } from '../auth/tls-policy.js';
import { CredentialRefused } from '../auth/verification.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { AddressAllowList } from '../common/address-allow.js';
import type { CredentialAttempt } from './auth-outcome.js';
import { type CacheHit, CachedCredentials } from './cached-credentials.js';
import { missingCredentials } from './challenges.js';
import { type Authenticated, CredentialStrategies } from './credential-strategies.js';
import type { RouteAccess } from './route-table.js';

/** What a client outside an allow-list without credentials is told, per setting. */
const NOT_ALLOWED: Readonly<Record<AddressAllowSetting, string>> = {
  METRICS_ALLOW: 'metrics are served to the addresses in METRICS_ALLOW and to signed-in operators',
};

/**
 * The pipeline's first step: which credential, if any, the request carries for its route. Tries
 * the route's methods in their order — each through the verification cache first, then its
 * Passport strategy — and stops at the first that answers or refuses. Records nothing: it
 * returns the attempt for the AuthOutcome recorder, with the error a refusal answers.
 */
@Injectable()
export class CredentialStep {
  private readonly allowLists: Readonly<Record<AddressAllowSetting, AddressAllowList>>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CachedCredentials,
    private readonly strategies: CredentialStrategies,
  ) {
    this.allowLists = { METRICS_ALLOW: new AddressAllowList(config.metricsAllow) };
  }

  /**
   * Synchronous when the answer needs no strategy (a public route, a cache hit, a TLS refusal):
   * the pipeline then decides a cached request without a promise. A strategy's run is awaited.
   */
  authenticate(req: FastifyRequest, res: ServerResponse, route: RouteAccess): CredentialAttempt | Promise<CredentialAttempt> {
    const policy = route.auth;
    if (policy.methods.length === 0 || (policy.orFrom && this.addressAllowed(policy.orFrom, req))) return PUBLIC;
    // Every 401 of this route names its ways in, wherever it is raised (the API-key step after
    // this one, a handler): the onSend hook of installChallenges reads it from here.
    req.authChallenges = route.challenges;
    assertSecureTransport(req, this.config);
    return this.tryFrom(0, req, res, route);
  }

  /** The route's methods from the `first`-th on: each through the cache, then its strategy. */
  private tryFrom(first: number, req: FastifyRequest, res: ServerResponse, route: RouteAccess): CredentialAttempt | Promise<CredentialAttempt> {
    const methods = route.auth.methods;
    for (let i = first; i < methods.length; i++) {
      const method = methods[i]!;
      let found: CacheHit | Authenticated | null | undefined | Promise<Authenticated | null>;
      try {
        found = this.cache.lookup(method, req) ?? this.strategies.run(method, req, res);
      } catch (error) {
        return this.refused(method, error, route);
      }
      if (found instanceof Promise) {
        return found.then(
          (verified) => (verified ? authenticated(verified) : this.tryFrom(i + 1, req, res, route)),
          (error: unknown) => this.refused(method, error, route),
        );
      }
      if (found) return authenticated(found);
    }
    // A scraper cannot answer a challenge: outside its allow-list, no credentials is a refusal.
    if (route.auth.orFrom) return { kind: 'missing', answer: new DomainError('forbidden', NOT_ALLOWED[route.auth.orFrom]) };
    return { kind: 'missing', answer: this.withChallenges(new DomainError('authentication_required', missingCredentials(route.auth.methods)), route) };
  }

  private refused(method: AuthMethod, error: unknown, route: RouteAccess): CredentialAttempt {
    return { kind: 'refused', method, error, answer: this.withChallenges(answerOf(error), route) };
  }

  /**
   * Without TRUST_PROXY, a request that carries forwarding headers came through a proxy we know
   * nothing of, and its peer address is that proxy's: a reverse proxy on the same host would make
   * every visitor look like loopback. Such a request is never let in by address.
   */
  private addressAllowed(setting: AddressAllowSetting, req: FastifyRequest): boolean {
    if (this.config.trustProxy.length === 0 && (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined)) return false;
    return this.allowLists[setting].allows(req.ip);
  }

  /** A 401 tells the client every way in (RFC 7235), unless the strategy set its own challenge. */
  private withChallenges(err: unknown, route: RouteAccess): unknown {
    if (!(err instanceof DomainError) || err.status !== 401 || err.headers['WWW-Authenticate'] || !route.challenges) return err;
    return new DomainError(err.code, err.message, { ...err.headers, 'WWW-Authenticate': route.challenges }, err.details);
  }
}

const PUBLIC: CredentialAttempt = Object.freeze({ kind: 'public' });

function authenticated(found: CacheHit | Authenticated): CredentialAttempt {
  return { kind: 'authenticated', principal: found.principal, verification: found.verification };
}

/** What the client is told of a refusal: a strategy's CredentialRefused carries it as `answer`. */
function answerOf(error: unknown): unknown {
  return error instanceof CredentialRefused ? error.answer : error;
}
