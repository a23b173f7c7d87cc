import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { BasicStrategy as HttpBasicStrategy } from 'passport-http';
import type { Strategy } from 'passport-strategy';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../../config/app-config.token.js';
import { DomainError } from '../../errors/domain-error.js';
import { BasicVerifier } from '../basic-verifier.service.js';
import { basicChallenge, MalformedAuthorizationError, parseBasicAuthorization } from '../core/basic-header.js';
import type { Principal } from '../principal.js';
import { StrategyRegistry } from '../strategy-registry.js';

const BASIC_PREFIX = /^basic /i;

type Verified = (err: unknown, user?: Principal | false) => void;
/** passport-http's typings omit the action methods that passport-strategy adds at run time. */
type Actions = Pick<Strategy, 'success' | 'fail' | 'error'> & { _verify: (req: unknown, id: string, pw: string, done: Verified) => void };

/**
 * passport-http's BasicStrategy with RFC 7617 parsing: its own splits the password at every `:`,
 * decodes only UTF-8 and answers a malformed header with a bare 400. Ours (core/basic-header.ts)
 * keeps `:` in passwords, falls back to ISO-8859-1, and says `malformed_authorization`.
 * No Basic header at all, or another scheme, is "not mine": the next method may try.
 */
class Rfc7617BasicStrategy extends HttpBasicStrategy {
  override authenticate(req: Parameters<HttpBasicStrategy['authenticate']>[0]): void {
    const self = this as unknown as Actions;
    let parsed;
    try {
      parsed = parseBasicAuthorization(req.headers.authorization);
    } catch (err) {
      if (err instanceof MalformedAuthorizationError) return self.error(new DomainError('malformed_authorization', 'the Authorization header is not Basic base64(user-id:password)'));
      return self.error(err as Error);
    }
    if (parsed.kind !== 'basic') return self.fail(401);
    self._verify(req, parsed.userId, parsed.password, (err, user) => {
      if (err) self.error(err as Error);
      else if (user) self.success(user);
      else self.fail(401);
    });
  }
}

@Injectable()
export class BasicStrategy extends PassportStrategy(Rfc7617BasicStrategy, 'basic') {
  constructor(
    private readonly verifier: BasicVerifier,
    registry: StrategyRegistry,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super({ passReqToCallback: true });
    const challenge = basicChallenge(config.basicRealm);
    registry.register('basic', this as unknown as Strategy, {
      challenge: () => challenge,
      // The fast path: a credential verified moments ago skips Passport and argon2 entirely.
      // A hit needs no parsing: only a header that parsed and verified was ever stored.
      cached: (req) => {
        const header = req.headers.authorization;
        return header !== undefined && BASIC_PREFIX.test(header) ? this.verifier.cached(header, req) : undefined;
      },
    });
  }

  validate(req: FastifyRequest, userId: string, password: string): Promise<Principal> {
    return this.verifier.verify(userId, password, req);
  }
}
