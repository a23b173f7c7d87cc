import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import type { AppConnectionAction } from '../accounts/core/app-connection.js';
import { AuditService } from '../audit/audit.service.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { AppConnectionDto, ChangePasswordDto, MeDto, SecurityDto, type StaleClientDto } from './dto/me.dto.js';
import { staleClients } from './security-view.js';

/** MyPage's API (contract §7): the signed-in customer's own profile, app connection and security view. */
@ApiTags('me')
@Auth('session')
@Controller('api/me')
export class MeController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly connections: AppConnectionService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOkResponse({ type: MeDto })
  async me(@CurrentPrincipal() p: Principal): Promise<MeDto> {
    const account = await this.accounts.get(p.account.id);
    const connection = await this.connections.get(account.id);
    return { login: account.login, email: account.email, role: account.role, registeredAt: account.registeredAt.toISOString(), appConnection: AppConnectionDto.of(connection) };
  }

  @Get('app-connection')
  @ApiOperation({ summary: 'The external application connection: which password Basic accepts' })
  @ApiOkResponse({ type: AppConnectionDto })
  async appConnection(@CurrentPrincipal() p: Principal): Promise<AppConnectionDto> {
    return AppConnectionDto.of(await this.connections.get(p.account.id));
  }

  @Post('app-connection/enable')
  @RecentSecondFactor()
  @HttpCode(200)
  @ApiOperation({ summary: 'disabled → issued: returns a new random password, once' })
  @ApiOkResponse({ type: AppConnectionDto })
  enable(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<AppConnectionDto> {
    return this.change(p, 'enable', req);
  }

  @Post('app-connection/reissue')
  @RecentSecondFactor()
  @HttpCode(200)
  @ApiOperation({ summary: 'legacy|issued → issued: returns a new password, once; the old one stops working at once' })
  @ApiOkResponse({ type: AppConnectionDto })
  reissue(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<AppConnectionDto> {
    return this.change(p, 'reissue', req);
  }

  @Post('app-connection/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'any → disabled: Basic is refused for the account (legacy never comes back)' })
  @ApiOkResponse({ type: AppConnectionDto })
  disable(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<AppConnectionDto> {
    return this.change(p, 'disable', req);
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change the login password (needs the current one)' })
  @ApiNoContentResponse()
  async changePassword(@CurrentPrincipal() p: Principal, @Body() body: ChangePasswordDto, @Req() req: FastifyRequest): Promise<void> {
    await this.accounts.changePassword(p.account.id, body.current, body.next);
    this.audit.record({ type: 'me.password', outcome: 'info', login: p.account.login, accountId: p.account.id, origin: requestMeta(req) });
  }

  @Get('security')
  @ApiOperation({ summary: 'Recent failures, stale clients and last use of the app connection' })
  @ApiOkResponse({ type: SecurityDto })
  async security(@CurrentPrincipal() p: Principal): Promise<SecurityDto> {
    const failures = await this.audit.query({ accountId: p.account.id, outcome: 'failure', limit: 200 });
    return {
      recentFailures: failures.slice(0, 50).map((e) => ({ at: e.at.toISOString(), type: e.type, login: e.login, code: e.code, ip: e.ip, userAgent: e.userAgent })),
      staleClients: staleClients(failures).map((s): StaleClientDto => ({ ...s, lastSeen: s.lastSeen.toISOString() })),
      appConnection: AppConnectionDto.of(await this.connections.get(p.account.id)),
    };
  }

  private async change(p: Principal, action: AppConnectionAction, req: FastifyRequest): Promise<AppConnectionDto> {
    const account = await this.accounts.get(p.account.id);
    const { connection, password } = await this.connections.apply(account, action);
    this.audit.record({ type: `me.app-connection.${action}`, outcome: 'info', login: account.login, accountId: account.id, detail: { state: connection.state }, origin: requestMeta(req) });
    return AppConnectionDto.of(connection, password);
  }
}
