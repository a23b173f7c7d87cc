import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { OAuthServerModule } from '../oauth/oauth-server.module.js';
import { MyAppsController } from './my-apps.controller.js';

/**
 * `/api/me/apps`: API-key use and blocks beside the OAuth grants, so above both. A module of its
 * own, imported by AppModule right after ApiKeysModule, where its routes always stood in the
 * OpenAPI document (which lists routes in module order).
 */
@Module({ imports: [ApiKeysModule, OAuthServerModule], controllers: [MyAppsController] })
export class MyAppsModule {}
