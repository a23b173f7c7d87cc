import { Global, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuthorizedApplications } from '../api-keys/authorized-apps.port.js';
import { AuthModule } from '../auth/auth.module.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { BearerTokens } from './bearer-tokens.js';
import { BearerStrategy } from './bearer.strategy.js';
import { InteractionController } from './interaction.controller.js';
import { OAuthArtifact } from './oauth-artifact.entity.js';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import { OAuthClientController } from './oauth-client.controller.js';
import { OAuthClientSecret } from './oauth-client-secret.entity.js';
import { OAuthClients } from './oauth-clients.js';
import { OAuthGrants } from './oauth-grants.service.js';
import { mountOAuthProvider } from './oauth-http.js';
import { OAuthLoginService } from './oauth-login.service.js';
import { OAuthProvider } from './oauth-provider.js';
import { OAuthPruner } from './oauth-pruner.js';
import { OAuthRevocations } from './oauth-revocations.js';
import { OAuthSubjects } from './oauth-subjects.js';

/**
 * The OAuth 2 authorization server and the `bearer` credential method (contract §4.4): oidc-provider
 * mounted under `/oauth` (oauth-http.ts), our login and consent pages, the TypeORM adapter and
 * its prune job, the Bearer strategy, and the OAuth half of MyPage's connected applications.
 *
 * Global only to lend AuthorizedApplications to MyAppsController (api-keys) without api-keys
 * importing this module. It adds no global guard, so where AppModule imports it does not change
 * the guards' order; import it after AuthModule and ApiKeysModule all the same.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OAuthArtifact, OAuthClientSecret]), AuthModule, ApiKeysModule],
  controllers: [InteractionController, OAuthClientController],
  providers: [
    OAuthArtifactStore,
    OAuthRevocations,
    OAuthClients,
    OAuthSubjects,
    OAuthProvider,
    OAuthLoginService,
    OAuthGrants,
    OAuthPruner,
    BearerTokens,
    BearerStrategy,
    { provide: AuthorizedApplications, useExisting: OAuthGrants },
  ],
  exports: [AuthorizedApplications, BearerTokens, OAuthProvider],
})
export class OAuthModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly oauth: OAuthProvider,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // Nest's routes are registered by now and the server is not ready yet: the moment to add the
  // provider's routes beside them (more specific Nest routes under /oauth/ keep winning).
  onModuleInit(): void {
    mountOAuthProvider(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), this.oauth.provider.callback(), this.config);
  }
}
