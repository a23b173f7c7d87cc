import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Account } from '../accounts/account.entity.js';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { RouteInventory } from './route-inventory.js';
import { LoginService } from './login.service.js';
import { Session } from './session.entity.js';
import { SessionsService } from './sessions.service.js';
import { SessionStrategy } from './strategies/session.strategy.js';
import { StrategyRegistry } from './strategy-registry.js';

@Module({
  imports: [TypeOrmModule.forFeature([Session, Account]), AccountsModule, DiscoveryModule],
  controllers: [AuthController],
  providers: [RouteInventory, StrategyRegistry, SessionsService, LoginService, SessionStrategy, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [RouteInventory, StrategyRegistry, SessionsService, LoginService],
})
export class AuthModule {}
