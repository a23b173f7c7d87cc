import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { AppConnection } from '../accounts/app-connection.entity.js';
import { AclRule } from '../acl/acl-rule.entity.js';
import { ApiKeyBlock } from '../api-keys/api-key-block.entity.js';
import { ApiKeyUse } from '../api-keys/api-key-use.entity.js';
import { ApiKey } from '../api-keys/api-key.entity.js';
import { Application } from '../api-keys/application.entity.js';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { Session } from '../auth/session.entity.js';
import { AppHour, AuthHour, TrafficHour } from '../stats/stats.entities.js';
import { OtpUsed } from '../otp/otp-used.entity.js';
import { Sublogin } from '../sublogins/sublogin.entity.js';
import { DavLockRow } from '../dav/dav-lock.entity.js';
import { DavPropertyRow } from '../dav/dav-property.entity.js';
import { DavChecksumRow } from '../dav/dav-checksum.entity.js';
import { OAuthArtifact } from '../oauth/oauth-artifact.entity.js';
import { OAuthClientSecret } from '../oauth/oauth-client-secret.entity.js';
import { AccountQuotaRow, StorageUsageRow } from '../storage/storage-quota.entities.js';
import { Foundation1763800000000 } from './migrations/1763800000000-Foundation.js';
import { SubloginsAndAcl1795361011920 } from './migrations/1795361011920-SubloginsAndAcl.js';
import { Statistics1795361394811 } from './migrations/1795361394811-Statistics.js';
import { OtpUsed1795400000000 } from './migrations/1795400000000-OtpUsed.js';
import { ApplicationsAndApiKeys1795462871530 } from './migrations/1795462871530-ApplicationsAndApiKeys.js';
import { DavLocksAndProperties1795560000000 } from './migrations/1795560000000-DavLocksAndProperties.js';
import { OAuth1795600000000 } from './migrations/1795600000000-OAuth.js';
import { AppStatistics1795700000000 } from './migrations/1795700000000-AppStatistics.js';
import { OtpClaimsByExpiry1795800000000 } from './migrations/1795800000000-OtpClaimsByExpiry.js';
import { DavChecksums1796100000000 } from './migrations/1796100000000-DavChecksums.js';
import { StorageQuotas1796200000000 } from './migrations/1796200000000-StorageQuotas.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from './wal-checkpointer.js';

/**
 * Entities and migrations are listed explicitly, not globbed: the list is the schema's table of
 * contents, and it works the same from `dist/` (production, migration CLI) and from `src/` (tests).
 */
export const ENTITIES = [Account, AppConnection, Session, AuditEvent, Sublogin, AclRule, TrafficHour, AuthHour, AppHour, OtpUsed, Application, ApiKey, ApiKeyBlock, ApiKeyUse, DavLockRow, DavPropertyRow, DavChecksumRow, OAuthArtifact, OAuthClientSecret, AccountQuotaRow, StorageUsageRow];
export const MIGRATIONS = [Foundation1763800000000, SubloginsAndAcl1795361011920, Statistics1795361394811, OtpUsed1795400000000, ApplicationsAndApiKeys1795462871530, DavLocksAndProperties1795560000000, OAuth1795600000000, AppStatistics1795700000000, OtpClaimsByExpiry1795800000000, DavChecksums1796100000000, StorageQuotas1796200000000];

/** The one place that turns DATABASE_URL into TypeORM options, for the app and for ormconfig.ts. */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, synchronize: false, migrationsRun: false, logging: false } as const;
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
