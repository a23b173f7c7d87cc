import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApplicationsService } from '../api-keys/applications.service.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { API_SCOPES } from './core/scopes.js';
import { OAuthClients } from './oauth-clients.js';
import { OAUTH_PREFIX, OAuthProvider } from './oauth-provider.js';

const uuid = new ParseUUIDPipe({ version: '4' });

class OAuthEndpointsDto {
  @ApiProperty({ example: 'https://portcullis.example.com/.well-known/oauth-authorization-server' }) metadata: string;
  @ApiProperty({ example: 'https://portcullis.example.com/oauth/auth' }) authorization: string;
  @ApiProperty({ example: 'https://portcullis.example.com/oauth/token' }) token: string;
  @ApiProperty({ example: 'https://portcullis.example.com/oauth/device/auth' }) deviceAuthorization: string;
  @ApiProperty({ example: 'https://portcullis.example.com/oauth/token/revocation' }) revocation: string;
  @ApiProperty({ example: 'https://portcullis.example.com/oauth/token/introspection' }) introspection: string;
}

class OAuthClientDto {
  @ApiProperty({ description: 'The client_id: the application\'s id' }) clientId: string;
  @ApiProperty({ enum: ['public', 'confidential'], description: 'public: no client secret (PKCE only); confidential: authenticates with client_secret_basic' }) type: 'public' | 'confidential';
  @ApiProperty({ nullable: true, type: String, description: 'Last four characters of the client secret, if one was issued' }) secretLast4: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) secretCreatedAt: string | null;
  @ApiProperty({ type: [String], description: 'Registered redirect URIs, matched exactly (no redirect URI: device flow only)' }) redirectUris: string[];
  @ApiProperty({ type: [String], example: API_SCOPES }) scopes: string[];
  @ApiProperty({ description: 'The issuer (PUBLIC_URL); also the resource indicator of the API' }) issuer: string;
  @ApiProperty({ type: OAuthEndpointsDto }) endpoints: OAuthEndpointsDto;
}

class IssuedClientSecretDto {
  @ApiProperty() clientId: string;
  @ApiProperty({ description: 'The client secret, shown this once (256 random bits): only a keyed hash is stored' }) clientSecret: string;
  @ApiProperty() last4: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

/**
 * A developer's view of an application as an OAuth client (contract §4.3, §4.4), and its client
 * secret. Applications are public clients (PKCE) until the developer fetches a secret; from then
 * on the client authenticates at the token endpoint with HTTP Basic (client_secret_basic). The
 * API key is not a client secret: it travels with every API request and must not unlock tokens.
 */
@ApiTags('apps')
@Auth('session')
@ApiNotFoundResponse({ description: 'No such application of yours (`not_found`)', type: ErrorResponseDto })
@Controller('api/apps/:id/oauth')
export class OAuthClientController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly clients: OAuthClients,
    private readonly oauth: OAuthProvider,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The application as an OAuth client: client_id, type, redirect URIs, scopes and endpoints' })
  @ApiOkResponse({ type: OAuthClientDto })
  async get(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal): Promise<OAuthClientDto> {
    const app = await this.applications.getOwn(p.account.id, id);
    const secret = await this.clients.secretOf(app.id);
    const base = this.oauth.issuer;
    return {
      clientId: app.id,
      type: secret ? 'confidential' : 'public',
      secretLast4: secret?.last4 ?? null,
      secretCreatedAt: secret?.createdAt.toISOString() ?? null,
      redirectUris: app.redirectUris,
      scopes: [...API_SCOPES],
      issuer: this.oauth.issuer,
      endpoints: {
        metadata: `${base}/.well-known/oauth-authorization-server`,
        authorization: `${base}${OAUTH_PREFIX}/auth`,
        token: `${base}${OAUTH_PREFIX}/token`,
        deviceAuthorization: `${base}${OAUTH_PREFIX}/device/auth`,
        revocation: `${base}${OAUTH_PREFIX}/token/revocation`,
        introspection: `${base}${OAUTH_PREFIX}/token/introspection`,
      },
    };
  }

  @Post('secret')
  @ApiOperation({
    summary: 'Issue (or replace) the client secret; returned once',
    description: 'The application becomes a confidential client at once (client_secret_basic at the token, revocation and introspection endpoints); a replaced secret stops working at once. Approved applications only.',
  })
  @ApiCreatedResponse({ type: IssuedClientSecretDto })
  @ApiConflictResponse({ description: 'The application is not approved (`conflict`)', type: ErrorResponseDto })
  async issue(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<IssuedClientSecretDto> {
    const issued = await this.clients.issueSecret(p, id, requestMeta(req));
    return { clientId: issued.clientId, clientSecret: issued.clientSecret, last4: issued.last4, createdAt: issued.createdAt.toISOString() };
  }

  @Delete('secret')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove the client secret: the application is a public client again (PKCE only)' })
  @ApiNoContentResponse()
  async remove(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<void> {
    await this.clients.deleteSecret(p, id, requestMeta(req));
  }
}
