import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { ApplicationsService, type IssuedKey } from './applications.service.js';
import { ApiKeyLimitsDto, ApiKeySummaryDto, ApplicationDto, IssuedApiKeyDto, RegisterApplicationDto } from './dto/application.dto.js';

const KEY_LIMITS =
  'Optionally limit the key (contract §4.7): `expiresAt` (ISO 8601; from then on the key is refused with `401 credential_expired`) and `allowedRanges` ' +
  '(addresses and CIDR ranges it may be used from, else `403 address_not_allowed`). An invalid entry answers `400 validation_failed` naming it, and nothing changes.';

const uuid = new ParseUUIDPipe({ version: '4' });

/**
 * A developer's applications (contract §4.3, §7): register, follow the review, get the API key once,
 * rotate it. An application is `pending` until an operator approves it; approval makes the key
 * available, and the developer fetches it with `POST /api/apps/{id}/key` — shown in that one
 * response only (the server keeps a keyed hash). A lost key is replaced by rotating.
 */
@ApiTags('apps')
@Auth('session')
@ApiNotFoundResponse({ description: 'No such application of yours (`not_found`)', type: ErrorResponseDto })
@Controller('api/apps')
export class AppsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post()
  @ApiOperation({ summary: 'Register an application; it waits for an operator\'s review (`pending`)' })
  @ApiCreatedResponse({ type: ApplicationDto })
  async register(@Body() body: RegisterApplicationDto, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<ApplicationDto> {
    return ApplicationDto.of(await this.applications.register(p, body, requestMeta(req)), null);
  }

  @Get()
  @ApiOperation({ summary: 'Your applications, newest first, with their status and active key (last 4 digits)' })
  @ApiOkResponse({ type: [ApplicationDto] })
  async list(@CurrentPrincipal() p: Principal): Promise<ApplicationDto[]> {
    const apps = await this.applications.listOwn(p.account.id);
    const keys = await this.applications.activeKeys(apps.map((a) => a.id));
    return apps.map((a) => ApplicationDto.of(a, keys.get(a.id)));
  }

  @Get(':id')
  @ApiOkResponse({ type: ApplicationDto })
  async get(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal): Promise<ApplicationDto> {
    const app = await this.applications.getOwn(p.account.id, id);
    return ApplicationDto.of(app, (await this.applications.activeKeys([id])).get(id));
  }

  @Post(':id/key')
  @ApiOperation({
    summary: 'Fetch the API key of an approved application, once',
    description: `Issues the key (128 random bits, 32 upper-case hex digits) and returns it in this response only. Refused (\`conflict\`) while the application is not approved, and once a key is active: rotate to get a new one. ${KEY_LIMITS}`,
  })
  @ApiCreatedResponse({ type: IssuedApiKeyDto })
  @ApiBadRequestResponse({ description: 'A limit is invalid (`validation_failed`)', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Not approved, or the key was already fetched (`conflict`)', type: ErrorResponseDto })
  async issue(@Param('id', uuid) id: string, @Body() body: ApiKeyLimitsDto, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<IssuedApiKeyDto> {
    return issued(id, await this.applications.issueKey(p, id, 'first', requestMeta(req), body));
  }

  @Patch(':id/key')
  @RecentSecondFactor() // it may widen where and until when the key works
  @ApiOperation({
    summary: "Change the active key's expiry or allowed address ranges; effective at once, everywhere",
    description: `Fields left out stay as they are; null removes a limit. ${KEY_LIMITS}`,
  })
  @ApiOkResponse({ type: ApiKeySummaryDto })
  @ApiBadRequestResponse({ description: 'A limit is invalid (`validation_failed`)', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The application has no active key (`conflict`)', type: ErrorResponseDto })
  async limit(@Param('id', uuid) id: string, @Body() body: ApiKeyLimitsDto, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<ApiKeySummaryDto> {
    return ApiKeySummaryDto.of(await this.applications.updateKeyLimits(p, id, body, requestMeta(req)));
  }

  @Post(':id/key/rotate')
  @RecentSecondFactor()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replace the API key: returns a new key once; the old one stops working at once, everywhere',
    description: `The new key keeps the old key's limits unless the body sends others. ${KEY_LIMITS}`,
  })
  @ApiOkResponse({ type: IssuedApiKeyDto })
  @ApiBadRequestResponse({ description: 'A limit is invalid (`validation_failed`)', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The application is not approved (`conflict`)', type: ErrorResponseDto })
  async rotate(@Param('id', uuid) id: string, @Body() body: ApiKeyLimitsDto, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<IssuedApiKeyDto> {
    return issued(id, await this.applications.issueKey(p, id, 'rotate', requestMeta(req), body));
  }
}

function issued(applicationId: string, { key, record }: IssuedKey): IssuedApiKeyDto {
  return {
    applicationId,
    key,
    keyId: record.id,
    last4: record.last4,
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
    allowedRanges: record.allowedRanges,
  };
}
