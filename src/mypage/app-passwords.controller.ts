import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppPasswordService } from '../accounts/app-password.service.js';
import { AuditService } from '../audit/audit.service.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { appPasswordSpec } from './app-password-input.js';
import { AppPasswordDto, AppPasswordListDto, CreateAppPasswordDto, CreatedAppPasswordDto } from './dto/app-password.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

/**
 * The signed-in customer's app passwords (contract §4.2): several named Basic/OTP secrets, one
 * per device or program, each optionally limited by an expiry, address ranges and rules. The
 * connection's enable/reissue/disable (MeController) still issue the first one and revoke all.
 */
@ApiTags('me')
@Auth('session')
@Controller('api/me/app-passwords')
export class AppPasswordsController {
  constructor(
    private readonly appPasswords: AppPasswordService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your app passwords: name, creation, expiry, ranges, rules, last use (never the password)' })
  @ApiOkResponse({ type: AppPasswordListDto })
  async list(@CurrentPrincipal() p: Principal): Promise<AppPasswordListDto> {
    return { items: (await this.appPasswords.list(p.account.id)).map((a) => AppPasswordDto.of(a)) };
  }

  // The one route that issues an app password (besides the connection's enable/reissue).
  @Post()
  @RecentSecondFactor()
  @ApiOperation({
    summary: 'Issue another app password; the password is in this answer only',
    description: 'Only while the app connection is issued (enable it first). It works at once, beside the others, until it expires or is revoked.',
  })
  @ApiCreatedResponse({ type: CreatedAppPasswordDto })
  @ApiBadRequestResponse({ description: 'Invalid name, expiry (must be in the future) or ranges (`validation_failed`), or rules (`acl_rule_invalid`); nothing is stored', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The app connection is not issued (`app_connection_conflict`), or the name is taken (`conflict`)', type: ErrorResponseDto })
  async create(@Body() body: CreateAppPasswordDto, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<CreatedAppPasswordDto> {
    const spec = appPasswordSpec(body);
    const { appPassword, password } = await this.appPasswords.create(p.account, spec);
    this.audit.record({
      type: 'me.app-password.create',
      outcome: 'info',
      login: p.account.login,
      accountId: p.account.id,
      detail: { id: appPassword.id, name: appPassword.name, expiresAt: appPassword.expiresAt?.toISOString() ?? null, ranges: appPassword.allowedRanges?.length ?? 0, rules: spec.rules?.length ?? null },
      origin: requestMeta(req),
    });
    return { ...AppPasswordDto.of(appPassword), password };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one app password: it stops working at once, on every instance; the others go on' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'You have no app password with this id (`not_found`)', type: ErrorResponseDto })
  async revoke(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<void> {
    const revoked = await this.appPasswords.revoke(p.account, id);
    this.audit.record({ type: 'me.app-password.revoke', outcome: 'info', login: p.account.login, accountId: p.account.id, detail: { id, name: revoked.name }, origin: requestMeta(req) });
  }
}
