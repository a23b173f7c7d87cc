import { Foundation1763800000000 } from './1763800000000-Foundation.js';
import { SubloginsAndAcl1795361011920 } from './1795361011920-SubloginsAndAcl.js';
import { Statistics1795361394811 } from './1795361394811-Statistics.js';
import { OtpUsed1795400000000 } from './1795400000000-OtpUsed.js';
import { ApplicationsAndApiKeys1795462871530 } from './1795462871530-ApplicationsAndApiKeys.js';
import { DavLocksAndProperties1795560000000 } from './1795560000000-DavLocksAndProperties.js';
import { OAuth1795600000000 } from './1795600000000-OAuth.js';
import { AppStatistics1795700000000 } from './1795700000000-AppStatistics.js';
import { OtpClaimsByExpiry1795800000000 } from './1795800000000-OtpClaimsByExpiry.js';
import { DavChecksums1796100000000 } from './1796100000000-DavChecksums.js';
import { StorageQuotas1796200000000 } from './1796200000000-StorageQuotas.js';
import { AppPasswords1796300000000 } from './1796300000000-AppPasswords.js';
import { CredentialLimits1796400000000 } from './1796400000000-CredentialLimits.js';
import { SignedLinks1796500000000 } from './1796500000000-SignedLinks.js';
import { TwoFactor1796600000000 } from './1796600000000-TwoFactor.js';
import { Passkeys1796700000000 } from './1796700000000-Passkeys.js';
import { OAuthPartialIndexes1796800000000 } from './1796800000000-OAuthPartialIndexes.js';

/**
 * The database's history, oldest first. Migrations stay together here rather than with the
 * features: they are one ordered history of one database (several span features, Foundation and
 * SubloginsAndAcl), they are plain DDL that imports no feature, and their class names and
 * timestamps are what existing databases have recorded as applied.
 */
export const MIGRATIONS = [
  Foundation1763800000000,
  SubloginsAndAcl1795361011920,
  Statistics1795361394811,
  OtpUsed1795400000000,
  ApplicationsAndApiKeys1795462871530,
  DavLocksAndProperties1795560000000,
  OAuth1795600000000,
  AppStatistics1795700000000,
  OtpClaimsByExpiry1795800000000,
  DavChecksums1796100000000,
  StorageQuotas1796200000000,
  AppPasswords1796300000000,
  CredentialLimits1796400000000,
  SignedLinks1796500000000,
  TwoFactor1796600000000,
  Passkeys1796700000000,
  OAuthPartialIndexes1796800000000,
];
