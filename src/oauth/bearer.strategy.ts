import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy as HttpBearerStrategy } from 'passport-http-bearer';
import type { Strategy } from 'passport-strategy';
import type { Principal } from '../auth/principal.js';
import { StrategyRegistry } from '../auth/strategy-registry.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { BearerTokens } from './bearer-tokens.js';
import { parseBearerAuthorization } from './core/bearer-header.js';

type Verified = (err: unknown, user?: Principal | false) => void;
type VerifyWithRequest = (req: Parameters<HttpBearerStrategy<never>['authenticate']>[0], token: string, done: Verified) => void;
/** passport-http-bearer's typings omit the action methods that passport-strategy adds at run time. */
type Actions = Pick<Strategy, 'success' | 'fail' | 'error'> & { _verify: (req: unknown, token: string, done: Verified) => void };

/**
 * passport-http-bearer's strategy reading the header only (RFC 6750 §2.1): its own also takes
 * `access_token` from the query and the body (tokens in URLs end up in logs) and answers an odd
 * header with a bare 400. No Bearer header is "not mine": the next method may try.
 */
class Rfc6750BearerStrategy extends HttpBearerStrategy<VerifyWithRequest> {
  constructor(
    private readonly challenge: (error: string, description: string) => string,
    // Added by PassportStrategy(): it calls the subclass's validate().
    verify: VerifyWithRequest,
  ) {
    super({ passReqToCallback: true }, verify);
  }

  override authenticate(req: Parameters<HttpBearerStrategy<never>['authenticate']>[0]): void {
    const self = this as unknown as Actions;
    const parsed = parseBearerAuthorization(req.headers.authorization);
    if (parsed.kind === 'none') return self.fail(401);
    if (parsed.kind === 'malformed') {
      const description = 'the Authorization header is not Bearer <token>';
      return self.error(new DomainError('malformed_authorization', description, { 'WWW-Authenticate': this.challenge('invalid_request', description) }));
    }
    self._verify(req, parsed.token, (err, user) => {
      if (err) self.error(err as Error);
      else if (user) self.success(user);
      else self.fail(401);
    });
  }
}

/**
 * The `bearer` credential method (contract §4.4): our opaque OAuth access tokens, validated in-process
 * (BearerTokens: one indexed read, then a cache dropped everywhere on revocation). A token that is
 * not (or no longer) valid is `401 invalid_token` with its RFC 6750 challenge; a missing token
 * leaves the AuthGuard to answer with every accepted method's challenge.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Rfc6750BearerStrategy, 'bearer') {
  private readonly realm: string;

  constructor(
    private readonly tokens: BearerTokens,
    registry: StrategyRegistry,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const realm = config.basicRealm;
    super((error: string, description: string) => `Bearer realm="${realm}", error="${error}", error_description="${description}"`);
    this.realm = realm;
    const challenge = `Bearer realm="${realm}"`;
    registry.register('bearer', this as unknown as Strategy, {
      challenge: () => challenge,
      // The fast path: a token verified moments ago is a hash and a Map probe.
      cached: (req) => {
        const parsed = parseBearerAuthorization(req.headers.authorization);
        return parsed.kind === 'bearer' ? this.tokens.cached(parsed.token, req) : undefined;
      },
    });
  }

  async validate(req: FastifyRequest, token: string): Promise<Principal> {
    const principal = await this.tokens.verify(token, req);
    if (principal) return principal;
    const description = 'the access token is not valid (unknown, expired or revoked)';
    throw new DomainError('invalid_token', description, { 'WWW-Authenticate': `Bearer realm="${this.realm}", error="invalid_token", error_description="${description}"` });
  }
}
