import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ReplayModule } from '../replay/replay.module.js';
import { RecoveryCode } from './recovery-code.entity.js';
import { PasskeyStore } from './passkeys/passkey-store.js';
import { PasskeysModule } from './passkeys/passkeys.module.js';
import { PASSKEY_COUNT, SecondFactors } from './second-factors.js';
import { TotpEnrolment } from './totp-enrolment.entity.js';
import { TwoFactorService } from './two-factor.service.js';

/**
 * Second factors (contract §4.9): TOTP, recovery codes, the policy, and (src/two-factor/passkeys)
 * passkeys. Below auth: auth's sign-in and sessions use it; it knows nothing of requests or sessions.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TotpEnrolment, RecoveryCode]), AccountsModule, ReplayModule, PasskeysModule],
  providers: [
    TwoFactorService,
    SecondFactors,
    // The passkeys count as second factors (SecondFactors.hasAny).
    { provide: PASSKEY_COUNT, useExisting: PasskeyStore },
  ],
  exports: [TwoFactorService, SecondFactors],
})
export class TwoFactorModule {}
