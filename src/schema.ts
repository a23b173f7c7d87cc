import { Account } from './accounts/account.entity.js';
import { AppConnection } from './accounts/app-connection.entity.js';
import { AppPassword } from './accounts/app-password.entity.js';
import { Sublogin } from './accounts/sublogin.entity.js';
import { AclRule } from './acl/acl-rule.entity.js';
import { ApiKeyBlock } from './api-keys/api-key-block.entity.js';
import { ApiKeyUse } from './api-keys/api-key-use.entity.js';
import { ApiKey } from './api-keys/api-key.entity.js';
import { Application } from './api-keys/application.entity.js';
import { AuditEvent } from './audit/audit-event.entity.js';
import { Session } from './auth/session.entity.js';
import type { Schema } from './database/data-source-options.js';
import { MIGRATIONS } from './database/migrations/index.js';
import { SignedLink } from './links/signed-link.entity.js';
import { DavChecksumRow } from './dav/dav-checksum.entity.js';
import { DavLockRow } from './dav/dav-lock.entity.js';
import { DavPropertyRow } from './dav/dav-property.entity.js';
import { OAuthArtifact } from './oauth/oauth-artifact.entity.js';
import { OAuthClientSecret } from './oauth/oauth-client-secret.entity.js';
import { OtpUsed } from './replay/otp-used.entity.js';
import { AppHour, AuthHour, TrafficHour } from './stats/stats.entities.js';
import { AccountQuotaRow, StorageUsageRow } from './storage/storage-quota.entities.js';
import { Passkey } from './two-factor/passkeys/passkey.entity.js';
import { RecoveryCode } from './two-factor/recovery-code.entity.js';
import { TotpEnrolment } from './two-factor/totp-enrolment.entity.js';

/**
 * Every entity of the service, composed here at the root for what runs without the Nest modules:
 * ormconfig.ts (the TypeORM CLI), the operator CLI and tests. The service itself maps what its
 * feature modules register (`TypeOrmModule.forFeature`, DatabaseModule's autoLoadEntities);
 * test/e2e/schema.e2e-spec.ts checks that the two lists agree.
 */
export const ENTITIES = [
  Account,
  AppConnection,
  AppPassword,
  Session,
  AuditEvent,
  Sublogin,
  AclRule,
  TrafficHour,
  AuthHour,
  AppHour,
  OtpUsed,
  Application,
  ApiKey,
  ApiKeyBlock,
  ApiKeyUse,
  DavLockRow,
  DavPropertyRow,
  DavChecksumRow,
  OAuthArtifact,
  OAuthClientSecret,
  AccountQuotaRow,
  StorageUsageRow,
  SignedLink,
  Passkey,
  TotpEnrolment,
  RecoveryCode,
];

export const SCHEMA: Schema = { entities: ENTITIES, migrations: MIGRATIONS };
