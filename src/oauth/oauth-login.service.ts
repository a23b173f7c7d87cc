import { Injectable } from '@nestjs/common';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
import { AuditService } from '../audit/audit.service.js';
import { LoginService } from '../auth/login.service.js';
import type { RequestMeta } from '../auth/request-meta.js';
import { ThrottleService } from '../auth/throttle.service.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { DomainError } from '../errors/domain-error.js';
import type { Subject } from './core/subject.js';

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
  ) {}

  async verify(login: string, password: string, origin: Pick<RequestMeta, 'ip' | 'userAgent'>): Promise<Subject & { login: string }> {
    if (!login.includes('-')) {
      const account = await this.login.verifyLoginPassword(login, password, origin);
      return { accountId: account.id, subloginId: null, login: account.login };
    }
    await this.throttle.check(login, origin);
    const found = await this.sublogins.findForAuth(login);
    const ok = await this.hasher.verifyOrDummy(found?.sublogin.passwordHash, password);
    if (!found || !ok || !found.sublogin.enabled || found.customer.status !== 'active') {
      const failure = await this.throttle.recordFailure(login, password, origin);
      this.audit.record({ type: 'auth.login', outcome: 'failure', login, accountId: found?.customer.id ?? null, code: 'invalid_credentials', detail: { via: 'oauth', repeats: failure.repeats, credential: failure.fingerprintId }, origin });
      throw new DomainError('invalid_credentials', 'invalid login or password');
    }
    this.audit.record({ type: 'auth.login', outcome: 'success', login, accountId: found.customer.id, detail: { via: 'oauth' }, origin });
    return { accountId: found.customer.id, subloginId: found.sublogin.id, login: found.sublogin.login };
  }
}
