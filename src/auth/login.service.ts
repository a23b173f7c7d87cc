import { Injectable } from '@nestjs/common';
import { Account } from '../accounts/account.entity.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { AuditService } from '../audit/audit.service.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { DomainError } from '../errors/domain-error.js';
import type { RequestMeta } from './request-meta.js';
import { ThrottleService } from './throttle.service.js';

/**
 * Login-password verification for first-party sign-in. Unknown login, wrong password and a
 * suspended account all answer the same `invalid_credentials`, after the same argon2 work.
 */
@Injectable()
export class LoginService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly throttle: ThrottleService,
  ) {}

  async verifyLoginPassword(login: string, password: string, origin: Pick<RequestMeta, 'ip' | 'userAgent'>): Promise<Account> {
    await this.throttle.check(login, origin);
    const account = await this.accounts.findByLogin(login);
    const ok = await this.hasher.verifyOrDummy(account?.passwordHash, password);
    if (!account || !ok || account.status !== 'active') {
      const code = account && ok ? 'account_suspended' : 'invalid_credentials';
      const failure = await this.throttle.recordFailure(login, password, origin);
      this.audit.record({ type: 'auth.login', outcome: 'failure', login, accountId: account?.id ?? null, code, detail: { repeats: failure.repeats, credential: failure.fingerprintId }, origin });
      throw new DomainError('invalid_credentials', 'invalid login or password');
    }
    await this.accounts.rehashIfNeeded(account, password);
    this.audit.record({ type: 'auth.login', outcome: 'success', login, accountId: account.id, origin });
    return account;
  }
}
