import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import type { Application } from './application.entity.js';
import { ApplicationsService } from './applications.service.js';
import type { ReviewAction } from './core/application-lifecycle.js';
import { AdminApplicationDto, AdminApplicationPageDto, AdminApplicationQueryDto } from './dto/application.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

/** Operators review applications (contract §4.3, §7): approve, reject, revoke — each audited. */
@ApiTags('admin')
@AdminAuth()
@ApiNotFoundResponse({ description: 'No such application (`not_found`)', type: ErrorResponseDto })
@Controller('api/admin/apps')
export class AdminAppsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Get()
  @ApiOperation({ summary: 'Applications, oldest first; `?status=pending` is the review queue' })
  @ApiOkResponse({ type: AdminApplicationPageDto })
  async list(@Query() q: AdminApplicationQueryDto): Promise<AdminApplicationPageDto> {
    const { items, total } = await this.applications.list(q.offset, q.limit, q.status);
    return { items: await this.views(items), total, offset: q.offset, limit: q.limit };
  }

  @Get(':id')
  @ApiOkResponse({ type: AdminApplicationDto })
  async get(@Param('id', uuid) id: string): Promise<AdminApplicationDto> {
    return (await this.views([await this.applications.get(id)]))[0]!;
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'pending|rejected → approved: the developer may now fetch the API key (once, `POST /api/apps/{id}/key`)' })
  @ApiOkResponse({ type: AdminApplicationDto })
  @ApiConflictResponse({ description: 'Not in a state this applies to (`conflict`)', type: ErrorResponseDto })
  approve(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<AdminApplicationDto> {
    return this.review(id, 'approve', operator, req);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'pending → rejected' })
  @ApiOkResponse({ type: AdminApplicationDto })
  @ApiConflictResponse({ description: 'Not pending (`conflict`)', type: ErrorResponseDto })
  reject(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<AdminApplicationDto> {
    return this.review(id, 'reject', operator, req);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'approved → revoked (final): its keys are refused for everyone, on every instance within a second' })
  @ApiOkResponse({ type: AdminApplicationDto })
  @ApiConflictResponse({ description: 'Not approved (`conflict`)', type: ErrorResponseDto })
  revoke(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<AdminApplicationDto> {
    return this.review(id, 'revoke', operator, req);
  }

  private async review(id: string, action: ReviewAction, operator: Principal, req: FastifyRequest): Promise<AdminApplicationDto> {
    return (await this.views([await this.applications.review(operator, id, action, requestMeta(req))]))[0]!;
  }

  private async views(apps: Application[]): Promise<AdminApplicationDto[]> {
    const [keys, owners] = await Promise.all([this.applications.activeKeys(apps.map((a) => a.id)), this.applications.owners(apps.map((a) => a.ownerAccountId))]);
    return apps.map((a) => AdminApplicationDto.ofAdmin(a, keys.get(a.id), owners.get(a.ownerAccountId)));
  }
}
