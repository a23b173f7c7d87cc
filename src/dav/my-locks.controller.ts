import { Controller, Delete, Get, HttpCode, Param, Req } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { DavLockStore } from './dav-lock.store.js';
import { LockDto } from './dto/lock.dto.js';

/**
 * MyPage: the WebDAV locks on the customer's resources, whoever took them (the account or a
 * sublogin), and their removal by the owner — a sublogin's lock must not shut the owner out of
 * its own files. Like the rest of `/api/me`, for the account's own session only (a sublogin
 * has no session), and changes need the session's CSRF token.
 */
@ApiTags('me')
@Auth('session')
@Controller('api/me/locks')
export class MyLocksController {
  constructor(
    private readonly locks: DavLockStore,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The live WebDAV locks on your resources (all areas), by you or your sublogins' })
  @ApiOkResponse({ type: [LockDto] })
  async list(@CurrentPrincipal() p: Principal): Promise<LockDto[]> {
    owner(p);
    const now = Date.now();
    return (await this.locks.liveOfAccount(p.account.id, now)).map((l) => LockDto.of(l, now));
  }

  @Delete(':token')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a WebDAV lock on your resources, whoever took it; what it held can be changed at once' })
  @ApiParam({ name: 'token', description: 'The lock token, as listed (`urn:uuid:…`)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No live lock of your account has this token (`not_found`)', type: ErrorResponseDto })
  async remove(@Param('token') token: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<void> {
    owner(p);
    const removed = await this.locks.removeOfAccount(p.account.id, token);
    if (removed === null) throw new DomainError('not_found', 'no such lock');
    this.audit.record({
      type: 'me.lock.remove',
      outcome: 'info',
      login: p.account.login,
      accountId: p.account.id,
      detail: { token: removed.token, area: removed.area, root: removed.root, principal: removed.principal },
      origin: requestMeta(req),
    });
  }
}

/** Sessions are the account's own; should a sublogin ever get one, these stay the owner's. */
function owner(p: Principal): void {
  if (p.sublogin !== null) throw new DomainError('forbidden', 'only the account owner manages its locks');
}
