import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from './wal-checkpointer.js';

/**
 * What a DataSource maps and migrates. The service's DataSource gets its entities from the
 * features' `TypeOrmModule.forFeature` (DatabaseModule), the CLI, ormconfig.ts and tests the full
 * list composed at the root (src/schema.ts): this folder imports no feature.
 */
export interface Schema {
  entities: NonNullable<DataSourceOptions['entities']>;
  migrations: NonNullable<DataSourceOptions['migrations']>;
}

/** The one place that turns DATABASE_URL into TypeORM options, for the app, the CLI and ormconfig.ts. */
export function dataSourceOptions(databaseUrl: string, schema: Schema): DataSourceOptions {
  const common = { entities: schema.entities, migrations: schema.migrations, synchronize: false, migrationsRun: false, logging: false } as const;
  if (databaseUrl.startsWith('sqlite:')) {
    const database = databaseUrl.slice('sqlite:'.length);
    if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database,
      // WAL lets readers run while a writer commits; busy_timeout waits instead of failing on a
      // lock. The log is copied back by a worker thread (WalCheckpointer); this connection's own
      // threshold is only its fallback.
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
        db.pragma('busy_timeout = 5000');
        db.pragma('foreign_keys = ON');
        db.pragma('synchronous = NORMAL');
      },
    };
  }
  return { ...common, type: 'postgres', url: databaseUrl, extra: { max: 10, connectionTimeoutMillis: 5_000 } };
}
