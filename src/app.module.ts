import { type DynamicModule, Module } from '@nestjs/common';
import { AccountsModule } from './accounts/accounts.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { CryptoModule } from './crypto/crypto.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MyPageModule } from './mypage/mypage.module.js';
import { SharedStateModule } from './shared-state/shared-state.module.js';

/** One module per capability; the configuration is validated before this is built. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
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
        AdminModule,
        MyPageModule,
        HealthModule,
      ],
    };
  }
}
