import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuditModule } from '../audit/audit.module.js';
import type { AppConfig } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { CryptoModule } from '../crypto/crypto.module.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { SCHEMA } from '../schema.js';
import { SharedStateModule } from '../shared-state/shared-state.module.js';
import { SubloginsModule } from '../sublogins/sublogins.module.js';

/**
 * What the operator CLI runs on: the service's own modules for accounts, applications, sublogins
 * and the audit log — the same providers the admin controllers call, the same shared state (so a
 * change is announced to running instances over Redis), the same secret key — in an application
 * context, without the HTTP server. Left out: the modules that mount routes or parsers on Fastify
 * (files, WebDAV, OAuth), the request pipeline (the access module's guard, metrics, pages) and the SQLite
 * checkpoint worker. The database connection is the service's, except that it never migrates:
 * that is `portcullis migrate` (a command finding migrations pending stops, see cli-context.ts).
 * Controllers of the imported modules are instantiated but never routed.
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({ ...dataSourceOptions(c.databaseUrl, SCHEMA), migrationsRun: false, retryAttempts: 0 }),
        }),
        SharedStateModule,
        CryptoModule,
        AuditModule,
        AccountsModule,
        ApiKeysModule,
        SubloginsModule,
      ],
    };
  }
}
