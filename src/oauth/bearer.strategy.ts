import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-strategy';
import { CredentialStrategy, type Done, type Validated } from '../auth/strategies/credential-strategy.js';
import { CredentialRefused } from '../auth/verification.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { BearerTokens } from './bearer-tokens.js';
import { parseBearerAuthorization } from './core/bearer-header.js';

type Verify = (req: FastifyRequest, token: string, done: Done) => void;

const INVALID_TOKEN = 'the access token is not valid (unknown, expired or revoked)';

/** `Bearer realm="…"`, with an RFC 6750 error when there is one. */
export function bearerChallenge(realm: string, error?: { error: string; description: string }): string {
  return error ? `Bearer realm="${realm}", error="${error.error}", error_description="${error.description}"` : `Bearer realm="${realm}"`;
}

/**
 * RFC 6750 Bearer from the Authorization header only, as a Passport strategy of its own:
 * passport-http-bearer's also takes `access_token` from the query and the body (tokens in URLs end
 * up in logs) and answers an odd header with a bare 400. No Bearer header is "not mine": the next
 * method may try.
 */
export class Rfc6750BearerStrategy extends Strategy {
  constructor(
    private readonly realm: string,
    private readonly verify: Verify,
  ) {
    super();
  }

  // Passport's types speak of Express; on Fastify the request is Fastify's.
  override authenticate(raw: Parameters<Strategy['authenticate']>[0]): void {
    const req = raw as unknown as FastifyRequest;
    const parsed = parseBearerAuthorization(req.headers.authorization);
    if (parsed.kind === 'none') return this.fail(401);
    if (parsed.kind === 'malformed') {
      const description = 'the Authorization header is not Bearer <token>';
      return this.error(new DomainError('malformed_authorization', description, { 'WWW-Authenticate': bearerChallenge(this.realm, { error: 'invalid_request', description }) }));
    }
    this.verify(req, parsed.token, (err, principal, info) => {
      if (err) this.error(err as Error);
      else if (principal) this.success(principal, info);
      else this.fail(401);
    });
  }
}

/**
 * The `bearer` credential method (contract §4.4): our opaque OAuth access tokens, validated in-process
 * (BearerTokens: one indexed read). A token that is not (or no longer) valid is `401 invalid_token`
 * with its RFC 6750 challenge; a missing token leaves the access pipeline to answer with every
 * accepted method's challenge.
 */
@Injectable()
export class BearerStrategy extends CredentialStrategy(Rfc6750BearerStrategy, 'bearer') {
  private readonly invalidTokenChallenge: string;

  constructor(
    private readonly tokens: BearerTokens,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config.basicRealm);
    this.invalidTokenChallenge = bearerChallenge(config.basicRealm, { error: 'invalid_token', description: INVALID_TOKEN });
  }

  async validate(_req: FastifyRequest, token: string): Promise<Validated> {
    const result = await this.tokens.verify(token);
    if ('refusal' in result) throw new CredentialRefused(new DomainError('invalid_token', INVALID_TOKEN, { 'WWW-Authenticate': this.invalidTokenChallenge }), result.refusal);
    return [result.principal, result.verification];
  }
}
