import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Account } from '../accounts/account.entity.js';
import { AppConnection } from '../accounts/app-connection.entity.js';
import { AuthModule } from '../auth/auth.module.js';
import { OtpUsed } from './otp-used.entity.js';
import { OtpReplayStore } from './otp-replay.store.js';
import { OtpStrategy } from './otp.strategy.js';
import { OtpVerifier } from './otp-verifier.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([OtpUsed, Account, AppConnection]), AuthModule],
  providers: [OtpStrategy, OtpVerifier, OtpReplayStore],
})
export class OtpModule {}
