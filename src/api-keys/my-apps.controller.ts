import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ErrorResponseDto } from '../openapi/error-response.dto.js';
import { ApiKeyBlocksService } from './api-key-blocks.service.js';
import { ConnectedApplicationDto } from './dto/application.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

/**
 * MyPage: the applications that used the customer's account with their API key, and the
 * customer's per-application blocks (SPEC §4.3, §7). Lives with the API keys rather than in
 * mypage/, as it is their per-user half. Changes need the session's CSRF token.
 */
@ApiTags('me')
@Auth('session')
@Controller('api/me/apps')
export class MyAppsController {
  constructor(private readonly blocks: ApiKeyBlocksService) {}

  @Get()
  @ApiOperation({ summary: 'Applications that used your account with their API key, and those you blocked' })
  @ApiOkResponse({ type: [ConnectedApplicationDto] })
  async list(@CurrentPrincipal() p: Principal): Promise<ConnectedApplicationDto[]> {
    return (await this.blocks.list(p.account.id)).map(ConnectedApplicationDto.of);
  }

  @Post(':id/block')
  @HttpCode(200)
  @ApiOperation({ summary: 'Block an application for your account and its sublogins (`api_key_blocked`), at once; others keep using it' })
  @ApiOkResponse({ type: ConnectedApplicationDto })
  @ApiNotFoundResponse({ description: 'No such application (`not_found`)', type: ErrorResponseDto })
  async block(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<ConnectedApplicationDto> {
    return ConnectedApplicationDto.of(await this.blocks.block(p, id, req));
  }

  @Post(':id/unblock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift your block of an application' })
  @ApiOkResponse({ type: ConnectedApplicationDto })
  @ApiNotFoundResponse({ description: 'No such application (`not_found`)', type: ErrorResponseDto })
  async unblock(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<ConnectedApplicationDto> {
    return ConnectedApplicationDto.of(await this.blocks.unblock(p, id, req));
  }
}
