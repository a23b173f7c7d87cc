import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { TwoFactorModule } from '../two-factor/two-factor.module.js';
import { AuthController } from './auth.controller.js';
import { BasicVerifier } from './basic-verifier.service.js';
import { LastUseService } from './last-use.service.js';
import { LoginService } from './login.service.js';
import { SecondFactorService } from './second-factor.service.js';
import { Session } from './session.entity.js';
import { SessionsService } from './sessions.service.js';
import { BasicStrategy } from './strategies/basic.strategy.js';
import { SessionStrategy } from './strategies/session.strategy.js';
import { ThrottleService } from './throttle.service.js';
import { VerificationCache } from './verification-cache.js';

/**
 * Credentials → Principal: the Basic and session strategies, sessions and sign-in, the
 * brute-force throttle and the verification cache. The access pipeline (src/access/) runs the
 * strategies and records what follows an authentication; this module depends on none of it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Session]), AccountsModule, TwoFactorModule],
  controllers: [AuthController],
  providers: [SessionsService, LoginService, SessionStrategy, BasicStrategy, BasicVerifier, VerificationCache, ThrottleService, LastUseService, SecondFactorService],
  exports: [SessionStrategy, BasicStrategy, SessionsService, LoginService, VerificationCache, ThrottleService, LastUseService, SecondFactorService, TwoFactorModule],
})
export class AuthModule {}
