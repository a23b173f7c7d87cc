import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { LIMIT_MESSAGES, type LimitRefusal, limitRefusal } from '../common/credential-limits.js';
import { DomainError } from '../errors/domain-error.js';
import type { CredentialAttempt } from './auth-outcome.js';
import type { RouteAccess } from './route-table.js';

/**
 * The pipeline's limits step (contract §4.7), right after the credential step: the expiry and
 * address ranges of every credential the principal came through (`principal.limits`: a
 * sublogin, the sublogin that granted a token, a scoped app password). A verification cache hit
 * carries the same limits as the verification it remembers, so they are checked here on every
 * request, never only when the secret was verified; a change of limits drops the cached entries
 * (CredentialEvents) and the next request reads the new ones. Only reached once the secret
 * verified, so a refusal names no limit to someone who does not know it; expiry before address,
 * and only the limit that failed is named. Its outcome is recorded (statistics, audit) as a
 * refusal, before the principal becomes the request's.
 */
@Injectable()
export class LimitsStep {
  /** The attempt as it was, or turned into a `limited` refusal. */
  apply(req: FastifyRequest, route: RouteAccess, attempt: CredentialAttempt): CredentialAttempt {
    if (attempt.kind !== 'authenticated') return attempt;
    const code = refusalOf(attempt.principal, Date.now(), req.ip);
    if (!code) return attempt;
    // A 401 names the route's ways in, as every 401 does (RFC 7235).
    const headers: Record<string, string> = code === 'credential_expired' && route.challenges ? { 'WWW-Authenticate': route.challenges } : {};
    return { kind: 'limited', principal: attempt.principal, verification: attempt.verification, code, answer: new DomainError(code, LIMIT_MESSAGES[code], headers) };
  }
}

/** The first limit of the principal's credentials that fails at `now` from `ip`: any expiry first, then any address. */
export function refusalOf(principal: Principal, now: number, ip: string | undefined): LimitRefusal | null {
  const limits = principal.limits;
  if (!limits?.length) return null;
  let refusal: LimitRefusal | null = null;
  for (const limit of limits) {
    const found = limitRefusal(limit, now, ip);
    if (found === 'credential_expired') return found;
    refusal ??= found;
  }
  return refusal;
}
