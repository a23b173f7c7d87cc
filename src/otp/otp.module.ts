import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { OtpUsed } from './otp-used.entity.js';
import { OtpReplayStore } from './otp-replay.store.js';
import { OtpStrategy } from './otp.strategy.js';
import { OtpVerifier } from './otp-verifier.service.js';

/** The `otp` credential method (contract §4.5): its strategy, for the access pipeline, and the replay store. */
@Module({
  imports: [TypeOrmModule.forFeature([OtpUsed]), AccountsModule, AuthModule],
  providers: [OtpStrategy, OtpVerifier, OtpReplayStore],
  exports: [OtpStrategy],
})
export class OtpModule {}
