import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StorageModule } from '../storage/storage.module.js';
import { AccountingHook } from './accounting.hook.js';
import { StatsController } from './stats.controller.js';
import { AppHour, AuthHour, TrafficHour } from './stats.entities.js';
import { StatsService } from './stats.service.js';
import { StatsStore } from './stats.store.js';

/**
 * Statistics: request accounting (AccountingHook, installed in app.factory.ts), authentication
 * counts (`StatsService.recordAuth`, for the access pipeline's AuthOutcome) and the `/api/stat`
 * reports.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TrafficHour, AuthHour, AppHour]), StorageModule],
  controllers: [StatsController],
  providers: [StatsStore, StatsService, AccountingHook],
  exports: [StatsService, AccountingHook],
})
export class StatsModule {}
