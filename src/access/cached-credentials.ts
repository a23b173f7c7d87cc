import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { basicLastUse } from '../auth/basic-verifier.service.js';
import type { AuthMethod, Principal } from '../auth/principal.js';
import type { Verification } from '../auth/verification.js';
import { VerificationCache } from '../auth/verification-cache.js';
import { BearerTokens } from '../oauth/bearer-tokens.js';
import { parseBearerAuthorization } from '../oauth/core/bearer-header.js';

const BASIC_PREFIX = /^basic /i;

/** A credential answered from a cache: its principal, and only its last use to record. */
export interface CacheHit {
  principal: Principal;
  verification: Verification;
}

/**
 * The fast path before the strategies: a Basic header or Bearer token verified moments ago is
 * one keyed hash and one Map probe, skipping Passport and argon2 (a WebDAV client sends its
 * header with every request; argon2id costs milliseconds of CPU by design). A miss runs the
 * method's strategy, which stays the one place that authenticates.
 */
@Injectable()
export class CachedCredentials {
  constructor(
    private readonly verified: VerificationCache,
    private readonly tokens: BearerTokens,
  ) {}

  lookup(method: AuthMethod, req: FastifyRequest): CacheHit | undefined {
    switch (method) {
      case 'basic': {
        // Keyed by the header as sent: only a header that parsed and verified was ever stored.
        const header = req.headers.authorization;
        if (header === undefined || !BASIC_PREFIX.test(header)) return undefined;
        const principal = this.verified.get(this.verified.key('basic', header));
        return principal && { principal, verification: { lastUse: basicLastUse(principal) } };
      }
      case 'bearer': {
        const parsed = parseBearerAuthorization(req.headers.authorization);
        const hit = parsed.kind === 'bearer' ? this.tokens.cached(parsed.token) : undefined;
        return hit && { principal: hit.principal, verification: { lastUse: { kind: 'grant', id: hit.grantId } } };
      }
      default:
        return undefined;
    }
  }
}
