import { Global, Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module.js';
import { AccountingHook } from './accounting.hook.js';
import { StatsController } from './stats.controller.js';
import { StatsService } from './stats.service.js';
import { StatsStore } from './stats.store.js';

/**
 * Statistics: request accounting (AccountingHook, installed in app.factory.ts), authentication
 * counts (`StatsService.recordAuth`, for the AuthGuard) and the `/api/stat` reports. Global, like
 * the audit log, so the auth module can count outcomes without importing it.
 */
@Global()
@Module({
  imports: [StorageModule],
  controllers: [StatsController],
  providers: [StatsStore, StatsService, AccountingHook],
  exports: [StatsService, AccountingHook],
})
export class StatsModule {}
