import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AccountQuotaRow, StorageUsageRow } from './storage-quota.entities.js';
import { StorageQuotaService } from './storage-quota.service.js';
import { StorageService } from './storage.service.js';

/**
 * File storage on the local filesystem (STORAGE_DIR), shared by the file API and WebDAV, with
 * the accounts' storage quotas (StorageQuotaService).
 */
@Module({
  imports: [TypeOrmModule.forFeature([AccountQuotaRow, StorageUsageRow]), AccountsModule],
  providers: [StorageService, StorageQuotaService],
  exports: [StorageService, StorageQuotaService],
})
export class StorageModule {}
