import { Injectable } from '@nestjs/common';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
import { subloginLimits } from '../accounts/sublogin.entity.js';
import { LIMIT_MESSAGES, limitRefusal } from '../common/credential-limits.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { AuditService } from '../audit/audit.service.js';
import { LoginService } from '../auth/login.service.js';
import type { RequestMeta } from '../auth/request-meta.js';
import { SecondFactorService } from '../auth/second-factor.service.js';
import { ThrottleService } from '../auth/throttle.service.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { constantTimeEqual, KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import type { PendingStage } from '../two-factor/factors.js';
import type { Subject } from './core/subject.js';

/** How long the second-factor step of an OAuth sign-in waits after the password. */
const SECOND_FACTOR_TICKET_MS = 10 * 60_000;

/**
 * Sign-in on the OAuth login page (contract §4.4): an account with its login password (LoginService:
 * throttled and audited like `POST /auth/login`), or a sublogin with its own password, throttled
 * and audited the same way. Every failure is the same `invalid_credentials` after the same work.
 */
@Injectable()
export class OAuthLoginService {
  constructor(
    private readonly login: LoginService,
    private readonly throttle: ThrottleService,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly sublogins: SubloginLookup,
    private readonly secondFactor: SecondFactorService,
    private readonly accounts: AccountsService,
    private readonly keys: KeyRing,
  ) {}

  /**
   * The password step. An account with a second factor (or one that must set one up) is not
   * signed in yet: `pending` says which step follows (contract §4.9, no back door through OAuth).
   * Sublogins have no second factor: they are the way programs sign in.
   */
  async verify(login: string, password: string, origin: Pick<RequestMeta, 'ip' | 'userAgent'>): Promise<Subject & { login: string; pending?: PendingStage }> {
    if (!login.includes('-')) {
      const account = await this.login.verifyLoginPassword(login, password, origin);
      const next = await this.secondFactor.afterPassword(account);
      return { accountId: account.id, subloginId: null, login: account.login, ...(next ? { pending: next.pending } : {}) };
    }
    await this.throttle.check(login, origin);
    const found = await this.sublogins.findForAuth(login);
    const ok = await this.hasher.verifyOrDummy(found?.sublogin.passwordHash, password);
    if (!found || !ok || !found.sublogin.enabled || found.customer.status !== 'active') {
      const failure = await this.throttle.recordFailure(login, password, origin);
      this.audit.record({ type: 'auth.login', outcome: 'failure', login, accountId: found?.customer.id ?? null, code: 'invalid_credentials', detail: { via: 'oauth', repeats: failure.repeats, credential: failure.fingerprintId }, origin });
      throw new DomainError('invalid_credentials', 'invalid login or password');
    }
    // A sublogin past its expiry or outside its ranges grants nothing (its tokens would be refused anyway).
    const limited = subloginLimits(found.sublogin)?.map((l) => limitRefusal(l, Date.now(), origin.ip)).find((r) => r !== null);
    if (limited) {
      this.audit.record({ type: 'auth.login', outcome: 'failure', login, accountId: found.customer.id, code: limited, detail: { via: 'oauth' }, origin });
      throw new DomainError(limited, LIMIT_MESSAGES[limited]);
    }
    this.audit.record({ type: 'auth.login', outcome: 'success', login, accountId: found.customer.id, detail: { via: 'oauth' }, origin });
    return { accountId: found.customer.id, subloginId: found.sublogin.id, login: found.sublogin.login };
  }

  /** What the second-factor form carries: the account that gave the right password, bound to this interaction, for 10 minutes. */
  secondFactorTicket(uid: string, accountId: string): string {
    const until = Date.now() + SECOND_FACTOR_TICKET_MS;
    return `${accountId}.${until}.${this.keys.hmac('oauth-second-factor', `${uid}:${accountId}:${until}`)}`;
  }

  /**
   * The second step: a TOTP or recovery code of the ticket's account (throttled like passwords).
   * A ticket that is forged, of another interaction or expired is `session_expired`.
   */
  async verifySecondFactor(uid: string, ticket: string, code: string, origin: Pick<RequestMeta, 'ip' | 'userAgent'>): Promise<Subject & { login: string }> {
    const [accountId, until, mac] = ticket.split('.');
    const valid = accountId && until && mac && /^\d{1,15}$/.test(until) && Number(until) > Date.now() && constantTimeEqual(mac, this.keys.hmac('oauth-second-factor', `${uid}:${accountId}:${until}`));
    const account = valid ? await this.accounts.findById(accountId) : null;
    if (!account || account.status !== 'active') throw new DomainError('session_expired', 'sign in again');
    await this.secondFactor.verifyCode(account, code, origin);
    return { accountId: account.id, subloginId: null, login: account.login };
  }
}
