import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { InteractionController } from './interaction.controller.js';
import { OAuthClientController } from './oauth-client.controller.js';
import { mountOAuthProvider } from './oauth-http.js';
import { OAuthProvider } from './oauth-provider.js';
import { OAuthServerModule } from './oauth-server.module.js';

/**
 * The OAuth 2 routes (contract §4.4): oidc-provider mounted under `/oauth` (oauth-http.ts), our
 * login and consent pages, and the developer's client-secret routes, over OAuthServerModule.
 */
@Module({
  imports: [OAuthServerModule, ApiKeysModule],
  controllers: [InteractionController, OAuthClientController],
  exports: [OAuthServerModule],
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
