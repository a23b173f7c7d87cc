import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AclRule } from '../acl/acl-rule.entity.js';
import { AclModule } from '../acl/acl.module.js';
import { LastUseService } from '../auth/last-use.service.js';
import { SubloginLookup } from '../auth/sublogin-lookup.js';
import { Sublogin } from './sublogin.entity.js';
import { SubloginsController } from './sublogins.controller.js';
import { SubloginsService } from './sublogins.service.js';

/**
 * Sublogins and their rules. Global so that the auth strategies find SubloginLookup without
 * AuthModule importing this module (auth does not depend on sublogins; sublogins plug into it).
 * Importing AclModule here keeps the guard order right as long as this module is imported after
 * AuthModule (see AclModule).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Sublogin, AclRule]), AclModule],
  controllers: [SubloginsController],
  providers: [SubloginsService, { provide: SubloginLookup, useExisting: SubloginsService }],
  exports: [SubloginsService, SubloginLookup],
})
export class SubloginsModule {
  constructor() {
    // Successful sublogin authentications record when and from where (contract §4.1), shown in `list`.
    LastUseService.register('sublogin', Sublogin, 'id');
  }
}
