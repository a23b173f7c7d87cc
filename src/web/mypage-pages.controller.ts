import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import type { AppConnectionAction } from '../accounts/core/app-connection.js';
import { ApiKeyBlocksService } from '../api-keys/api-key-blocks.service.js';
import { AuditService } from '../audit/audit.service.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { SessionsService } from '../auth/sessions.service.js';
import { DomainError } from '../errors/domain-error.js';
import { ChangePasswordDto } from '../mypage/dto/me.dto.js';
import { staleClients } from '../mypage/security-view.js';
import { OAuthGrants } from '../oauth/oauth-grants.service.js';
import { SubloginsService } from '../sublogins/sublogins.service.js';
import { RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { type FormBody, formFields, validateAs } from './forms.js';
import { noticeText } from './notices.js';
import { type ConnectedApp, myPage, type MyPageView, securityPage } from './views/mypage.view.js';
import { viewerOf, WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

const uuid = new ParseUUIDPipe({ version: '4' });

/**
 * MyPage in the browser (contract §7): the same actions as `/api/me`, by form posts to the same
 * services, with the same audit records.
 */
@WebPages()
@Auth('session')
@Controller('mypage')
export class MyPagePagesController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly connections: AppConnectionService,
    private readonly blocks: ApiKeyBlocksService,
    private readonly sublogins: SubloginsService,
    private readonly audit: AuditService,
    private readonly sessions: SessionsService,
    private readonly grants: OAuthGrants,
  ) {}

  @Get()
  async overview(@CurrentPrincipal() p: Principal, @Query('notice') notice: unknown): Promise<WebResult> {
    return new Page(myPage(await this.view(p, { notice: noticeText(notice) })));
  }

  @Post('app-connection/enable')
  @RecentSecondFactor()
  @HttpCode(200)
  enable(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.change(p, 'enable', req);
  }

  @Post('app-connection/reissue')
  @RecentSecondFactor()
  @HttpCode(200)
  reissue(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.change(p, 'reissue', req);
  }

  @Post('app-connection/disable')
  @HttpCode(200)
  disable(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.change(p, 'disable', req);
  }

  @Post('password')
  @HttpCode(200)
  async changePassword(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    const again = async (problems: string[]) => new Page(myPage(await this.view(p, { passwordProblems: problems })), 400);
    const input = await validateAs(ChangePasswordDto, { current: f.current, next: f.next });
    if (!input.ok) return again(input.problems);
    if (f.confirm !== f.next) return again(['The new password and its repetition differ.']);
    try {
      await this.accounts.changePassword(p.account.id, input.value.current, input.value.next);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'invalid_credentials') return again(['The current password is wrong.']);
      throw err;
    }
    this.audit.record({ type: 'me.password', outcome: 'info', login: p.account.login, accountId: p.account.id, origin: requestMeta(req) });
    return new SeeOther('/mypage?notice=password-changed');
  }

  @Post('apps/:id/block')
  async block(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    await this.blocks.block(p, id, requestMeta(req));
    return new SeeOther('/mypage?notice=app-blocked#apps');
  }

  @Post('apps/:id/unblock')
  async unblock(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    await this.blocks.unblock(p, id, requestMeta(req));
    return new SeeOther('/mypage?notice=app-unblocked#apps');
  }

  @Post('apps/:id/revoke')
  async revoke(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    const revoked = await this.grants.revoke(p, id, requestMeta(req));
    if (revoked === 0) throw new DomainError('not_found', 'you have not authorized that application');
    return new SeeOther('/mypage?notice=app-revoked-access#apps');
  }

  @Get('security')
  async security(@CurrentPrincipal() p: Principal): Promise<WebResult> {
    const [account, connection, failures, sublogins, apps] = await Promise.all([
      this.accounts.get(p.account.id),
      this.connections.get(p.account.id),
      this.audit.query({ accountId: p.account.id, outcome: 'failure', limit: 200 }),
      this.sublogins.list(p.account.id, 0, 500),
      this.connectedApps(p),
    ]);
    return new Page(
      securityPage({
        viewer: viewerOf(p, this.sessions),
        account,
        connection,
        failures: failures.slice(0, 50),
        stale: staleClients(failures),
        sublogins: sublogins.items.map((i) => i.sublogin),
        apps,
      }),
    );
  }

  /** enable and reissue answer the page with the new password, once; disable redirects. */
  private async change(p: Principal, action: AppConnectionAction, req: FastifyRequest): Promise<WebResult> {
    const account = await this.accounts.get(p.account.id);
    let changed;
    try {
      changed = await this.connections.apply(account, action);
    } catch (err) {
      // A second tab or a repeated click: show the state as it is now.
      if (err instanceof DomainError && err.code === 'app_connection_conflict') return new Page(myPage(await this.view(p, { error: `Nothing changed: ${err.message}.` })), 409);
      throw err;
    }
    this.audit.record({ type: `me.app-connection.${action}`, outcome: 'info', login: account.login, accountId: account.id, detail: { state: changed.connection.state }, origin: requestMeta(req) });
    if (!changed.password) return new SeeOther('/mypage?notice=connection-disabled');
    return new Page(myPage(await this.view(p, { newPassword: changed.password })));
  }

  private async view(p: Principal, extra: Partial<MyPageView>): Promise<MyPageView> {
    const [account, connection, apps] = await Promise.all([this.accounts.get(p.account.id), this.connections.get(p.account.id), this.connectedApps(p)]);
    return { viewer: viewerOf(p, this.sessions), account, connection, apps, ...extra };
  }

  /** As `GET /api/me/apps` lists them: API-key use and blocks, and OAuth authorizations. */
  private async connectedApps(p: Principal): Promise<ConnectedApp[]> {
    const authorizations = await this.grants.list(p.account.id);
    const apps = await this.blocks.list(p.account.id, [...authorizations.keys()]);
    return apps.map((c) => ({ ...c, authorizations: authorizations.get(c.application.id) ?? [] }));
  }
}
