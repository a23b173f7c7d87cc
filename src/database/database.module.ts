import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { dataSourceOptions } from './data-source-options.js';
import { MIGRATIONS } from './migrations/index.js';
import { WalCheckpointService } from './wal-checkpoint.service.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.databaseUrl, { entities: [], migrations: MIGRATIONS }),
        // Each feature registers its own entities (TypeOrmModule.forFeature); this module knows none.
        autoLoadEntities: true,
        // Pending migrations are applied at start (contract §2); concurrent starts on PostgreSQL are
        // serialised by TypeORM's migration transaction.
        migrationsRun: true,
        migrationsTransactionMode: 'each',
        retryAttempts: 5,
        retryDelay: 1_000,
      }),
    }),
  ],
  providers: [WalCheckpointService],
})
export class DatabaseModule {}
