import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Account } from './account.entity.js';
import { AccountsService } from './accounts.service.js';
import { AppConnection } from './app-connection.entity.js';
import { AppConnectionService } from './app-connection.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Account, AppConnection])],
  providers: [AccountsService, AppConnectionService],
  exports: [AccountsService, AppConnectionService, TypeOrmModule],
})
export class AccountsModule {}
