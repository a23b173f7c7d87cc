import { type DynamicModule, Module } from '@nestjs/common';
import { AccessModule } from './access/access.module.js';
import { WhoamiModule } from './access/whoami.module.js';
import { AccountsModule } from './accounts/accounts.module.js';
import { AclModule } from './acl/acl.module.js';
import { AdminModule } from './admin/admin.module.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { CryptoModule } from './crypto/crypto.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DavModule } from './dav/dav.module.js';
import { FilesModule } from './files/files.module.js';
import { HealthModule } from './health/health.module.js';
import { LinksModule } from './links/links.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MyAppsModule } from './mypage/my-apps.module.js';
import { MyPageModule } from './mypage/mypage.module.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { OtpModule } from './otp/otp.module.js';
import { SharedStateModule } from './shared-state/shared-state.module.js';
import { StatsModule } from './stats/stats.module.js';
import { StorageModule } from './storage/storage.module.js';
import { SubloginsModule } from './sublogins/sublogins.module.js';
import { WebModule } from './web/web.module.js';

/** One module per capability; the configuration is validated before this is built. */
@Module({})
export class AppModule {
  /** `extra`: modules a benchmark adds (bench/server.mjs), imported after all of the service's. */
  static forRoot(config: AppConfig, extra: NonNullable<DynamicModule['imports']> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        SharedStateModule,
        CryptoModule,
        AuditModule,
        AccountsModule,
        AuthModule,
        WhoamiModule,
        OtpModule,
        ApiKeysModule,
        // `/api/me/apps` (API keys and OAuth grants): its routes stay where they stood in openapi.json.
        MyAppsModule,
        AclModule,
        SubloginsModule,
        StorageModule,
        FilesModule,
        LinksModule,
        DavModule,
        OAuthModule,
        StatsModule,
        AdminModule,
        MyPageModule,
        HealthModule,
        MetricsModule,
        WebModule,
        // The one global guard and its pipeline; the order of the modules above is only the
        // OpenAPI document's order of paths.
        AccessModule,
        ...extra,
      ],
    };
  }
}
