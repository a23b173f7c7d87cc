import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Sublogin } from '../sublogins/sublogin.entity.js';
import { AclDeclarationCheck } from './acl-declaration.check.js';
import { AclRule } from './acl-rule.entity.js';
import { AclRuleStore, TypeOrmAclRuleStore } from './acl-rule.store.js';
import { AclGuard } from './acl.guard.js';
import { AclService } from './acl.service.js';

/**
 * The ACL for sublogins (contract §6): AclService, the start-up declaration check, and the global
 * AclGuard.
 *
 * Guard order matters: the AclGuard reads the principal the AuthGuard leaves on the request, so
 * it must run second. Nest runs global guards in the order their modules are scanned (a module
 * before the modules it imports, then in import order), so this module must be imported only
 * after AuthModule — in AppModule, or from a module AuthModule itself imports. Were the order
 * ever wrong, the guard refuses authenticated routes (500) instead of letting them through.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AclRule, Sublogin]), DiscoveryModule],
  providers: [
    AclService,
    { provide: AclRuleStore, useClass: TypeOrmAclRuleStore },
    AclDeclarationCheck,
    { provide: APP_GUARD, useClass: AclGuard },
  ],
  exports: [AclService],
})
export class AclModule {}
