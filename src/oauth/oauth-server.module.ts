import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { BearerTokens } from './bearer-tokens.js';
import { BearerStrategy } from './bearer.strategy.js';
import { OAuthArtifact } from './oauth-artifact.entity.js';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import { OAuthClientSecret } from './oauth-client-secret.entity.js';
import { OAuthClients } from './oauth-clients.js';
import { OAuthGrants } from './oauth-grants.service.js';
import { OAuthLoginService } from './oauth-login.service.js';
import { OAuthProvider } from './oauth-provider.js';
import { OAuthPruner } from './oauth-pruner.js';
import { OAuthRevocations } from './oauth-revocations.js';
import { OAuthSubjects } from './oauth-subjects.js';

/**
 * The OAuth 2 authorization server's providers (contract §4.4): oidc-provider with its TypeORM
 * adapter and prune job, clients, grants, the Bearer method. No routes: those are OAuthModule's,
 * so that a module needing the grants (MyAppsModule, the pages) imports this one without moving
 * the OAuth routes within the OpenAPI document, which lists routes in module order.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OAuthArtifact, OAuthClientSecret]), AccountsModule, AuthModule, ApiKeysModule],
  providers: [OAuthArtifactStore, OAuthRevocations, OAuthClients, OAuthSubjects, OAuthProvider, OAuthLoginService, OAuthGrants, OAuthPruner, BearerTokens, BearerStrategy],
  exports: [OAuthProvider, OAuthClients, OAuthSubjects, OAuthLoginService, OAuthGrants, BearerTokens, BearerStrategy],
})
export class OAuthServerModule {}
