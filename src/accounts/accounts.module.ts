import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Account } from './account.entity.js';
import { AccountsService } from './accounts.service.js';
import { AppConnection } from './app-connection.entity.js';
import { AppConnectionService } from './app-connection.service.js';
import { AppPassword } from './app-password.entity.js';
import { AppPasswordService } from './app-password.service.js';
import { Sublogin } from './sublogin.entity.js';
import { SubloginLookup } from './sublogin-lookup.js';

/**
 * Accounts, their app connections and app passwords, and the sublogin lookup the credential checks need. Other
 * modules read account data through these services, never through the tables' repositories.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Account, AppConnection, AppPassword, Sublogin])],
  providers: [AccountsService, AppConnectionService, AppPasswordService, SubloginLookup],
  exports: [AccountsService, AppConnectionService, AppPasswordService, SubloginLookup],
})
export class AccountsModule {}
