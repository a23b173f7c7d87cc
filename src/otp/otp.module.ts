import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ReplayModule } from '../replay/replay.module.js';
import { OtpStrategy } from './otp.strategy.js';
import { OtpVerifier } from './otp-verifier.service.js';

/** The `otp` credential method (contract §4.5): its strategy, for the access pipeline, and the replay store. */
@Module({
  imports: [ReplayModule, AccountsModule, AuthModule],
  providers: [OtpStrategy, OtpVerifier],
  // The replay store too, for the features that claim one-time secrets through this module.
  exports: [OtpStrategy, ReplayModule],
})
export class OtpModule {}
