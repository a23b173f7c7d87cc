import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AdminAppsController } from './admin-apps.controller.js';
import { ApiKeyBlock } from './api-key-block.entity.js';
import { ApiKeyBlocksService } from './api-key-blocks.service.js';
import { ApiKeyCache } from './api-key-cache.js';
import { ApiKeyUse } from './api-key-use.entity.js';
import { ApiKeyUsageService } from './api-key-usage.service.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeyStep } from './api-key.step.js';
import { Application } from './application.entity.js';
import { ApplicationsService } from './applications.service.js';
import { AppsController } from './apps.controller.js';

/**
 * Applications and API keys (contract §4.3): registration and review, key issue and rotation,
 * per-user blocks, and the access pipeline's API-key step. The matrix-parameter half lives in
 * matrix-url.ts, installed as Fastify's `rewriteUrl` by app.factory.ts (it must run before
 * routing, so it cannot be a Nest provider).
 */
@Module({
  imports: [TypeOrmModule.forFeature([Application, ApiKey, ApiKeyBlock, ApiKeyUse]), AccountsModule],
  controllers: [AppsController, AdminAppsController],
  providers: [ApiKeyCache, ApplicationsService, ApiKeyBlocksService, ApiKeyUsageService, ApiKeyStep],
  exports: [ApplicationsService, ApiKeyCache, ApiKeyBlocksService, ApiKeyStep],
})
export class ApiKeysModule {}
