import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-strategy';
import { DomainError } from '../../errors/domain-error.js';
import { BasicVerifier } from '../basic-verifier.service.js';
import { MalformedAuthorizationError, parseBasicAuthorization } from '../core/basic-header.js';
import { requestMeta } from '../request-meta.js';
import { CredentialStrategy, type Done, type Validated } from './credential-strategy.js';

type Verify = (req: FastifyRequest, userId: string, password: string, done: Done) => void;

/**
 * HTTP Basic as RFC 7617 reads it, as a Passport strategy of its own: passport-http's splits the
 * password at every `:`, decodes only UTF-8 and answers a malformed header with a bare 400. This
 * one (core/basic-header.ts) keeps `:` in passwords, falls back to ISO-8859-1, and says
 * `malformed_authorization`. No Basic header at all, or another scheme, is "not mine": the next
 * method may try.
 */
export class Rfc7617BasicStrategy extends Strategy {
  constructor(private readonly verify: Verify) {
    super();
  }

  // Passport's types speak of Express; on Fastify the request is Fastify's.
  override authenticate(raw: Parameters<Strategy['authenticate']>[0]): void {
    const req = raw as unknown as FastifyRequest;
    let parsed;
    try {
      parsed = parseBasicAuthorization(req.headers.authorization);
    } catch (err) {
      if (err instanceof MalformedAuthorizationError) return this.error(new DomainError('malformed_authorization', 'the Authorization header is not Basic base64(user-id:password)'));
      return this.error(err as Error);
    }
    if (parsed.kind !== 'basic') return this.fail(401);
    this.verify(req, parsed.userId, parsed.password, (err, principal, info) => {
      if (err) this.error(err as Error);
      else if (principal) this.success(principal, info);
      else this.fail(401);
    });
  }
}

/** The `basic` credential method (contract §4.1): a sublogin's password, or the account's app connection. */
@Injectable()
export class BasicStrategy extends CredentialStrategy(Rfc7617BasicStrategy, 'basic') {
  constructor(private readonly verifier: BasicVerifier) {
    super();
  }

  async validate(req: FastifyRequest, userId: string, password: string): Promise<Validated> {
    const { principal, verification } = await this.verifier.verify({ login: userId, password, header: req.headers.authorization! }, requestMeta(req));
    return [principal, verification];
  }
}
