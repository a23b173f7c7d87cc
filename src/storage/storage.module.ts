import { Module } from '@nestjs/common';
import { StorageQuotaService } from './storage-quota.service.js';
import { StorageService } from './storage.service.js';

/**
 * File storage on the local filesystem (STORAGE_DIR), shared by the file API and WebDAV, with
 * the accounts' storage quotas (StorageQuotaService; its tables through the root DataSource).
 */
@Module({
  providers: [StorageService, StorageQuotaService],
  exports: [StorageService, StorageQuotaService],
})
export class StorageModule {}
