import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminAppsController } from './admin-apps.controller.js';
import { ApiKeyBlock } from './api-key-block.entity.js';
import { ApiKeyBlocksService } from './api-key-blocks.service.js';
import { ApiKeyCache } from './api-key-cache.js';
import { ApiKeyUse } from './api-key-use.entity.js';
import { ApiKeyUsageService } from './api-key-usage.service.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { Application } from './application.entity.js';
import { ApplicationsService } from './applications.service.js';
import { AppsController } from './apps.controller.js';
import { MyAppsController } from './my-apps.controller.js';

/**
 * Applications and API keys (contract §4.3): registration and review, key issue and rotation,
 * per-user blocks, and the global ApiKeyGuard. The matrix-parameter half lives in matrix-url.ts,
 * installed as Fastify's `rewriteUrl` by app.factory.ts (it must run before routing, so it
 * cannot be a Nest provider).
 *
 * Guard order matters: the ApiKeyGuard reads the principal the AuthGuard sets (a session needs no
 * key, Basic does), and runs before the AclGuard, so a request without a valid key learns nothing
 * of the ACL's decision (and sublogin rules are not evaluated for it). Nest runs
 * global guards in module scan order, so AppModule imports this module after AuthModule and
 * before AclModule (and any module that imports AclModule). Were it ever before AuthModule, the
 * guard refuses authenticated routes (500) instead of letting them through.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Application, ApiKey, ApiKeyBlock, ApiKeyUse])],
  controllers: [AppsController, AdminAppsController, MyAppsController],
  providers: [ApiKeyCache, ApplicationsService, ApiKeyBlocksService, ApiKeyUsageService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApplicationsService, ApiKeyCache, ApiKeyBlocksService],
})
export class ApiKeysModule {}
