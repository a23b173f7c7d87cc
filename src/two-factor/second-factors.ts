import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, type Repository } from 'typeorm';
import type { SecondFactorKind } from './factors.js';
import { RecoveryCode } from './recovery-code.entity.js';
import { TotpEnrolment } from './totp-enrolment.entity.js';

/** How many passkeys an account has (src/two-factor/passkeys' PasskeyStore provides it). */
export interface PasskeyCount {
  countFor(accountId: string): Promise<number>;
}

/**
 * The passkeys as SecondFactors sees them: TwoFactorModule binds this to the passkey store
 * (`useExisting: PasskeyStore`); an interface keeps the counting here testable without WebAuthn.
 */
export const PASSKEY_COUNT = Symbol('PASSKEY_COUNT');

/** Which second factors an account has: a confirmed TOTP authenticator, passkeys, unused recovery codes. */
@Injectable()
export class SecondFactors {
  constructor(
    @InjectRepository(TotpEnrolment) private readonly totp: Repository<TotpEnrolment>,
    @InjectRepository(RecoveryCode) private readonly recovery: Repository<RecoveryCode>,
    @Inject(PASSKEY_COUNT) private readonly passkeys: PasskeyCount,
  ) {}

  /** Whether the account has a second factor: a confirmed TOTP authenticator or a passkey. Recovery codes alone are none. */
  async hasAny(accountId: string): Promise<boolean> {
    const [totp, passkeys] = await Promise.all([this.hasTotp(accountId), this.passkeys.countFor(accountId)]);
    return totp || passkeys > 0;
  }

  /** The second factors the account can give now, for the sign-in answer and page. */
  async methods(accountId: string): Promise<SecondFactorKind[]> {
    const [totp, passkeys, codes] = await Promise.all([this.hasTotp(accountId), this.passkeys.countFor(accountId), this.recoveryCodesLeft(accountId)]);
    const methods: SecondFactorKind[] = [];
    if (totp) methods.push('totp');
    if (passkeys > 0) methods.push('passkey');
    if (codes > 0 && (totp || passkeys > 0)) methods.push('recovery');
    return methods;
  }

  async hasTotp(accountId: string): Promise<boolean> {
    return (await this.totp.countBy({ accountId, confirmedAt: Not(IsNull()) })) > 0;
  }

  recoveryCodesLeft(accountId: string): Promise<number> {
    return this.recovery.countBy({ accountId, usedAt: IsNull() });
  }
}
