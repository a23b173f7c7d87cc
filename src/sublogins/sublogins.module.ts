import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Sublogin } from '../accounts/sublogin.entity.js';
import { AclRule } from '../acl/acl-rule.entity.js';
import { AclModule } from '../acl/acl.module.js';
import { SubloginsController } from './sublogins.controller.js';
import { SubloginsService } from './sublogins.service.js';

/**
 * Managing sublogins and their rules (contract §7), above the ACL. Authenticating them needs
 * only the read-only SubloginLookup, which lives below auth (src/accounts/); modules that manage
 * sublogins import this one.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Sublogin, AclRule]), AclModule],
  controllers: [SubloginsController],
  providers: [SubloginsService],
  exports: [SubloginsService],
})
export class SubloginsModule {}
