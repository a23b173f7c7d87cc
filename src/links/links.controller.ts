import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Acl } from '../acl/acl.decorators.js';
import { aclSpecificOf } from '../acl/acl-specific.js';
import { ApiKeyPolicy } from '../api-keys/api-key-policy.decorator.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { CreatedLinkDto, CreateLinkDto, LinkDto, LinkListDto } from './dto/links.dto.js';
import { LinksService } from './links.service.js';

const fromBody = (req: FastifyRequest) => aclSpecificOf((req.body as Record<string, unknown> | undefined)?.path);

/**
 * Creating, listing and revoking signed links (contract §4.8), in the file API's area: the same
 * credentials and API-key policy as `/api/file/*`. Creating needs `/file/link/<path>` and the
 * right the link hands on (`/file/download/<path>` or `/file/upload/<path>`); an OAuth token has
 * no scope covering `/file/link`, so a link never outlives the token's narrower rights.
 */
@ApiTags('links')
@Auth('basic', 'bearer', 'otp', 'session')
@ApiKeyPolicy('required')
@Controller('api/file/links')
export class LinksController {
  constructor(private readonly links: LinksService) {}

  @Post()
  @Acl('file', 'link', { specific: fromBody })
  @ApiOperation({
    summary: 'Create a signed link to download one file or upload to a path, without a password or key',
    description:
      'The URL is returned once. A sublogin needs `/file/link/<path>` and the right the link hands on (`/file/download/<path>` for GET, `/file/upload/<path>` for PUT); ' +
      'the link stops working as soon as its creator loses that right. A limited credential cannot make a link that outlives it or allows other addresses (`403 outside_scope`).',
  })
  @ApiCreatedResponse({ type: CreatedLinkDto })
  @ApiForbiddenResponse({ description: '`acl_denied`, `insufficient_scope`, `outside_scope`', type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'A download link to a file that does not exist', type: ErrorResponseDto })
  @ApiResponse({ status: 409, description: 'A download link to a folder (`conflict`)', type: ErrorResponseDto })
  async create(@Body() body: CreateLinkDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<CreatedLinkDto> {
    const { link, token, url } = await this.links.create(principal, body, requestMeta(req));
    return { ...LinkDto.of(link, principal.sublogin?.login ?? principal.account.login), url, token };
  }

  @Get()
  @ApiOperation({ summary: "Your signed links (an account sees its sublogins' too), newest first, with expiry, scope, uses and last use" })
  @ApiOkResponse({ type: LinkListDto })
  async list(@CurrentPrincipal() principal: Principal): Promise<LinkListDto> {
    const items = await this.links.list(principal);
    return { items: items.map((l) => LinkDto.of(l, principal.account.login)) };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a link (its creator, or the account): refused on every instance from then on; idempotent' })
  @ApiOkResponse({ type: LinkDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<LinkDto> {
    return LinkDto.of(await this.links.revoke(principal, id, requestMeta(req)), principal.account.login);
  }
}
