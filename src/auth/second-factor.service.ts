import { Injectable } from '@nestjs/common';
import type { Account } from '../accounts/account.entity.js';
import { DomainError } from '../errors/domain-error.js';
import type { PendingStage, SecondFactorKind } from '../two-factor/factors.js';
import { SecondFactors } from '../two-factor/second-factors.js';
import { TwoFactorService } from '../two-factor/two-factor.service.js';
import type { RequestMeta } from './request-meta.js';
import { ThrottleService } from './throttle.service.js';

type Origin = Pick<RequestMeta, 'ip' | 'userAgent'>;

/**
 * The second factor at sign-in (contract §4.9): what a right password leads to, and codes
 * checked under the same brute-force throttle as passwords, counted per login.
 */
@Injectable()
export class SecondFactorService {
  constructor(
    private readonly twoFactor: TwoFactorService,
    private readonly factors: SecondFactors,
    private readonly throttle: ThrottleService,
  ) {}

  /**
   * After the right password: null (signed in), `second_factor` with the methods to offer, or
   * `enrolment` for an account that must have a second factor and has none.
   */
  async afterPassword(account: Pick<Account, 'id' | 'role'>): Promise<{ pending: PendingStage; methods: SecondFactorKind[] } | null> {
    const methods = await this.factors.methods(account.id);
    if (methods.some((m) => m !== 'recovery')) return { pending: 'second_factor', methods };
    if (this.twoFactor.required(account)) return { pending: 'enrolment', methods: [] };
    return null;
  }

  /** A TOTP or recovery code of `account`; a wrong one is counted like a wrong password and refused `invalid_credentials`. */
  async verifyCode(account: Pick<Account, 'id' | 'login' | 'role'>, code: string, origin: Origin): Promise<'totp' | 'recovery'> {
    await this.throttle.check(account.login, origin);
    const kind = await this.twoFactor.verifyCode(account, code, origin);
    if (!kind) {
      await this.throttle.recordFailure(account.login, `2fa:${code}`, origin);
      throw new DomainError('invalid_credentials', 'wrong or already used code');
    }
    return kind;
  }

  /** Confirms the pending authenticator with a code from it, throttled the same way. */
  async confirmTotp(account: Account, code: string, origin: Origin): Promise<{ recoveryCodes: string[]; appPassword?: string }> {
    await this.throttle.check(account.login, origin);
    const done = await this.twoFactor.confirmTotp(account, code, origin);
    if (!done) {
      await this.throttle.recordFailure(account.login, `2fa:${code}`, origin);
      throw new DomainError('invalid_credentials', 'wrong or already used code');
    }
    return done;
  }
}
