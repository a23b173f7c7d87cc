import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AclDeclarationCheck } from './acl-declaration.check.js';
import { AclRule } from './acl-rule.entity.js';
import { AclRuleStore, TypeOrmAclRuleStore } from './acl-rule.store.js';
import { AclService } from './acl.service.js';
import { AclStep } from './acl.step.js';

/**
 * The ACL for sublogins (contract §6): AclService, the start-up declaration check, and the access
 * pipeline's ACL step (src/access/ runs it last, after the credential and the API key).
 */
@Module({
  imports: [TypeOrmModule.forFeature([AclRule]), AccountsModule, DiscoveryModule],
  providers: [
    AclService,
    { provide: AclRuleStore, useClass: TypeOrmAclRuleStore },
    AclDeclarationCheck,
    AclStep,
  ],
  exports: [AclService, AclStep],
})
export class AclModule {}
