import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Account } from '../accounts/account.entity.js';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AppConnection } from '../accounts/app-connection.entity.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { BasicVerifier } from './basic-verifier.service.js';
import { FailureOwners } from './failure-owner.js';
import { LastUseService } from './last-use.service.js';
import { LoginService } from './login.service.js';
import { RouteInventory } from './route-inventory.js';
import { Session } from './session.entity.js';
import { SessionsService } from './sessions.service.js';
import { BasicStrategy } from './strategies/basic.strategy.js';
import { SessionStrategy } from './strategies/session.strategy.js';
import { StrategyRegistry } from './strategy-registry.js';
import { ThrottleService } from './throttle.service.js';
import { VerificationCache } from './verification-cache.js';
import { WhoamiController } from './whoami.controller.js';

@Module({
  imports: [TypeOrmModule.forFeature([Session, Account, AppConnection]), AccountsModule, DiscoveryModule],
  controllers: [AuthController, WhoamiController],
  providers: [
    RouteInventory,
    StrategyRegistry,
    SessionsService,
    LoginService,
    SessionStrategy,
    BasicStrategy,
    BasicVerifier,
    VerificationCache,
    ThrottleService,
    LastUseService,
    FailureOwners,
    // Registered first of the global guards: the API-key and ACL guards read its principal.
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [RouteInventory, StrategyRegistry, SessionsService, LoginService, VerificationCache, ThrottleService, LastUseService],
})
export class AuthModule {}
