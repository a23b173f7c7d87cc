import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiKeyBlocksService } from '../api-keys/api-key-blocks.service.js';
import type { AppAuthorization } from '../api-keys/app-authorization.js';
import { ConnectedApplicationDto } from '../api-keys/dto/application.dto.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { OAuthGrants } from '../oauth/oauth-grants.service.js';

const uuid = new ParseUUIDPipe({ version: '4' });

/**
 * MyPage: the applications that used the customer's account with their API key, those the
 * customer (or a sublogin) authorized over OAuth, and the customer's per-application blocks
 * (contract §4.3, §4.4, §7). Here, above both API keys and OAuth, as it shows both. Changes need
 * the session's CSRF token.
 */
@ApiTags('me')
@Auth('session')
@Controller('api/me/apps')
export class MyAppsController {
  constructor(
    private readonly blocks: ApiKeyBlocksService,
    private readonly grants: OAuthGrants,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Applications you authorized (OAuth, with scopes and last use), that used your account with their API key, or that you blocked' })
  @ApiOkResponse({ type: [ConnectedApplicationDto] })
  async list(@CurrentPrincipal() p: Principal): Promise<ConnectedApplicationDto[]> {
    const authorizations = await this.grants.list(p.account.id);
    const apps = await this.blocks.list(p.account.id, [...authorizations.keys()]);
    return apps.map((c) => ConnectedApplicationDto.of(c, authorizations.get(c.application.id)));
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke your (and your sublogins\') OAuth authorizations of an application: its tokens fail at once, everywhere' })
  @ApiOkResponse({ type: ConnectedApplicationDto })
  @ApiNotFoundResponse({ description: 'No such application (`not_found`)', type: ErrorResponseDto })
  async revoke(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<ConnectedApplicationDto> {
    const before = (await this.blocks.list(p.account.id, [id])).find((c) => c.application.id === id);
    if (!before) throw new DomainError('not_found', 'no such application');
    await this.grants.revoke(p, id, requestMeta(req));
    return ConnectedApplicationDto.of(before);
  }

  @Post(':id/block')
  @HttpCode(200)
  @ApiOperation({ summary: 'Block an application for your account and its sublogins (`api_key_blocked`), at once; others keep using it' })
  @ApiOkResponse({ type: ConnectedApplicationDto })
  @ApiNotFoundResponse({ description: 'No such application (`not_found`)', type: ErrorResponseDto })
  async block(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<ConnectedApplicationDto> {
    return ConnectedApplicationDto.of(await this.blocks.block(p, id, requestMeta(req)), await this.authorizationsOf(p, id));
  }

  @Post(':id/unblock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift your block of an application' })
  @ApiOkResponse({ type: ConnectedApplicationDto })
  @ApiNotFoundResponse({ description: 'No such application (`not_found`)', type: ErrorResponseDto })
  async unblock(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<ConnectedApplicationDto> {
    return ConnectedApplicationDto.of(await this.blocks.unblock(p, id, requestMeta(req)), await this.authorizationsOf(p, id));
  }

  private async authorizationsOf(p: Principal, applicationId: string): Promise<AppAuthorization[]> {
    return (await this.grants.list(p.account.id)).get(applicationId) ?? [];
  }
}
