import { Module } from '@nestjs/common';
import { StorageService } from './storage.service.js';

/** File storage on the local filesystem (STORAGE_DIR), shared by the file API and WebDAV. */
@Module({
  providers: [StorageService],
  exports: [StorageService],
})
export class StorageModule {}
