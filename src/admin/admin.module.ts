import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AdminAccountsController } from './admin-accounts.controller.js';
import { AdminAuditController } from './admin-audit.controller.js';

@Module({
  imports: [AccountsModule],
  controllers: [AdminAccountsController, AdminAuditController],
})
export class AdminModule {}
