import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { AdminAccountsController } from './admin-accounts.controller.js';
import { AdminAuditController } from './admin-audit.controller.js';

@Module({
  imports: [AccountsModule, StorageModule],
  controllers: [AdminAccountsController, AdminAuditController],
})
export class AdminModule {}
