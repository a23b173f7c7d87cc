import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OtpReplayStore } from './otp-replay.store.js';
import { OtpUsed } from './otp-used.entity.js';

/**
 * "Accepted at most once", shared by every one-time secret: OTPs (src/otp), TOTP codes
 * (src/two-factor), single-use links. Low in the layers so that the second factor, below auth,
 * can use it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OtpUsed])],
  providers: [OtpReplayStore],
  exports: [OtpReplayStore],
})
export class ReplayModule {}
