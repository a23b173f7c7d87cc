import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { LastUseService } from '../auth/last-use.service.js';
import { type AuthMethod, type Principal, principalLogin } from '../auth/principal.js';
import type { RequestMeta } from '../auth/request-meta.js';
import { type FailureRecord, ThrottleService } from '../auth/throttle.service.js';
import { CredentialRefused, type RefusalAudit, type Verification } from '../auth/verification.js';
import { VerificationCache } from '../auth/verification-cache.js';
import type { LimitRefusal } from '../common/credential-limits.js';
import { DomainError } from '../errors/domain-error.js';
import { BearerTokens } from '../oauth/bearer-tokens.js';
import { StatsService } from '../stats/stats.service.js';
import { FailureOwners } from './failure-owners.js';

/** What the credential step found, for the outcome recorder. */
export type CredentialAttempt =
  /** The route takes no credentials (or let this client in without). */
  | { kind: 'public' }
  | { kind: 'authenticated'; principal: Principal; verification: Verification }
  /** `error` as the strategy (or the cache, the throttle…) raised it; `answer` is what the client is told. */
  | { kind: 'refused'; method: AuthMethod; error: unknown; answer: unknown }
  | { kind: 'missing'; answer: unknown }
  /** The credential verified, but one of its limits (expiry, address ranges) refuses this request (LimitsStep). */
  | { kind: 'limited'; principal: Principal; verification: Verification; code: LimitRefusal; answer: DomainError };

const MINUTE_MS = 60_000;

/** The audit type of a refusal by a credential's limits, per method. */
const LIMIT_AUDIT: Readonly<Record<AuthMethod, string>> = { basic: 'auth.basic', otp: 'auth.otp', bearer: 'auth.bearer', session: 'auth.session', link: 'auth.link' };
const MAX_TRACKED = 100_000;

/**
 * Everything that follows an authentication, in one place, called once per request by the access
 * pipeline: the statistics of every outcome (contract §7), and what the strategy's answer asks for —
 * audit records, the brute-force throttle's count of a wrong secret, the verification cache's
 * fill, the credential's last use. The strategies only verify; they record nothing.
 */
@Injectable()
export class AuthOutcome {
  /** When each rate-limited audit line was last written (`every: { minute }`). */
  private readonly lastLine = new Map<string, number>();

  constructor(
    private readonly stats: StatsService,
    private readonly audit: AuditService,
    private readonly throttle: ThrottleService,
    private readonly lastUse: LastUseService,
    private readonly verified: VerificationCache,
    private readonly tokens: BearerTokens,
    private readonly owners: FailureOwners,
  ) {}

  /** Synchronous unless a wrong secret is counted (the throttle's shared counters), which the answer waits for. */
  record(attempt: CredentialAttempt, meta: RequestMeta): void | Promise<void> {
    switch (attempt.kind) {
      case 'public':
        return;
      case 'authenticated':
        return this.succeeded(attempt.principal, attempt.verification, meta);
      case 'refused':
        return this.refused(attempt.method, attempt.error, meta);
      case 'missing':
        this.stats.recordAuth('none', 'authentication_required');
        return;
      case 'limited':
        return this.limited(attempt.principal, attempt.verification, attempt.code, meta);
    }
  }

  private succeeded(principal: Principal, { remember, audit, lastUse }: Verification, meta: RequestMeta): void {
    if (remember?.cache === 'verification') this.verified.set(remember.key, principal, remember.tags, remember.generation);
    else if (remember?.cache === 'bearer') this.tokens.remember(principal, remember);
    if (audit) this.audit.record({ type: audit.type, outcome: 'success', login: audit.login, accountId: principal.account.id, detail: audit.detail, origin: meta });
    if (lastUse?.kind === 'grant') this.tokens.recordUse(lastUse.id, meta.ip);
    else if (lastUse) this.lastUse.touch(lastUse.kind, lastUse.id, meta.ip);
    this.stats.recordAuth(principal.method, 'success', principal.account.id);
  }

  /**
   * A verified credential refused by its limits: counted and audited with the limit's code (once a
   * minute per login and code: a client retrying from the wrong network is a line, not thousands),
   * and still cached, so its next request is refused without argon2 (the limits are checked on
   * every hit). Its last use is not recorded: it was not used.
   */
  private limited(principal: Principal, { remember }: Verification, code: LimitRefusal, meta: RequestMeta): void {
    if (remember?.cache === 'verification') this.verified.set(remember.key, principal, remember.tags, remember.generation);
    else if (remember?.cache === 'bearer') this.tokens.remember(principal, remember);
    const login = principalLogin(principal);
    if (this.due({ every: { minute: `limits:${principal.method}:${login}:${code}` } }, undefined)) {
      this.audit.record({ type: LIMIT_AUDIT[principal.method], outcome: 'failure', login, accountId: principal.account.id, code, detail: { method: principal.method }, origin: meta });
    }
    this.stats.recordAuth(principal.method, code, principal.account.id);
  }

  private refused(method: AuthMethod, error: unknown, meta: RequestMeta): void | Promise<void> {
    if (!(error instanceof CredentialRefused)) {
      if (error instanceof DomainError) this.stats.recordAuth(method, error.code);
      return;
    }
    const { refusal, answer } = error;
    const count = (): void => {
      // Counted for the customer whose login (an account, or one of its sublogins) was presented.
      if (answer instanceof DomainError) this.stats.recordAuth(method, answer.code, this.owners.accountIdOf(refusal));
    };
    if (refusal.wrongSecret === undefined || refusal.login === null) {
      if (refusal.audit) this.auditRefusal(refusal.audit, undefined, meta);
      return count();
    }
    return this.throttle.recordFailure(refusal.login, refusal.wrongSecret, meta).then((failure) => {
      if (refusal.audit) this.auditRefusal(refusal.audit, failure, meta);
      count();
    });
  }

  private auditRefusal(audit: RefusalAudit, failure: FailureRecord | undefined, meta: RequestMeta): void {
    if (!this.due(audit, failure)) return;
    let detail = audit.detail;
    if (audit.counted?.length && failure) {
      detail = { ...detail };
      for (const field of audit.counted) detail[field] = field === 'repeats' ? failure.repeats : failure.fingerprintId;
    }
    this.audit.record({ type: audit.type, outcome: 'failure', login: audit.login, accountId: audit.accountId, code: audit.code, detail, origin: meta });
  }

  private due({ every }: Pick<RefusalAudit, 'every'>, failure: FailureRecord | undefined): boolean {
    if (every === 'refusal') return true;
    // A stale client retrying one old password is logged at its 1st, 2nd, 4th, 8th… attempt, not each.
    if (every === 'doubling') return !failure || (failure.repeats & (failure.repeats - 1)) === 0;
    const now = Date.now();
    if (now - (this.lastLine.get(every.minute) ?? 0) < MINUTE_MS) return false;
    if (this.lastLine.size >= MAX_TRACKED) this.lastLine.clear();
    this.lastLine.set(every.minute, now);
    return true;
  }
}

