import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { AclModule } from '../acl/acl.module.js';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { LinksModule } from '../links/links.module.js';
import { OAuthServerModule } from '../oauth/oauth-server.module.js';
import { OtpModule } from '../otp/otp.module.js';
import { StatsModule } from '../stats/stats.module.js';
import { TwoFactorModule } from '../two-factor/two-factor.module.js';
import { AccessGuard } from './access.guard.js';
import { AccessPipeline } from './access-pipeline.js';
import { AuthOutcome } from './auth-outcome.js';
import { CachedCredentials } from './cached-credentials.js';
import { CredentialStep } from './credential-step.js';
import { CredentialStrategies } from './credential-strategies.js';
import { FailureOwners } from './failure-owners.js';
import { LimitsStep } from './limits-step.js';
import { PrincipalStep } from './principal-step.js';
import { RouteTable } from './route-table.js';
import { SecondFactorStep } from './second-factor-step.js';

/**
 * Access to every route: the route table read from the declarations at start, the one global
 * guard, and the pipeline it runs (credential → principal → API key → ACL), with the recorder of
 * authentication outcomes. Above the features whose steps and strategies it composes.
 */
@Module({
  imports: [DiscoveryModule, AuthModule, OtpModule, LinksModule, OAuthServerModule, ApiKeysModule, AclModule, StatsModule, TwoFactorModule],
  providers: [
    RouteTable,
    CredentialStrategies,
    CachedCredentials,
    CredentialStep,
    LimitsStep,
    FailureOwners,
    AuthOutcome,
    PrincipalStep,
    SecondFactorStep,
    AccessPipeline,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [RouteTable],
})
export class AccessModule {}
