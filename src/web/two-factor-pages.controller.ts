import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { SecondFactorService } from '../auth/second-factor.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { DomainError } from '../errors/domain-error.js';
import { SecondFactors } from '../two-factor/second-factors.js';
import { PendingSessionAllowed, RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { type TotpSetup, TwoFactorService } from '../two-factor/two-factor.service.js';
import { safeNextPath } from './core/next-path.js';
import { type FormBody, formFields } from './forms.js';
import { noticeText } from './notices.js';
import { passkeySecondFactorForm, passkeysTwoFactorSection } from './views/passkeys.view.js';
import { secondFactorPage, twoFactorPage } from './views/two-factor.view.js';
import { viewerOf, WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

/**
 * The second factor in the browser (contract §4.9): the code form after the password (and before
 * a sensitive action), and /mypage/two-factor to set up the authenticator app, make recovery
 * codes and turn it off. The same services as `POST /auth/login/second-factor` and `/api/me/two-factor`.
 */
@WebPages()
@Auth('session')
@Controller()
export class TwoFactorPagesController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly secondFactor: SecondFactorService,
    private readonly twoFactor: TwoFactorService,
    private readonly factors: SecondFactors,
    private readonly accounts: AccountsService,
    private readonly connections: AppConnectionService,
  ) {}

  @Get('sign-in/second-factor')
  @PendingSessionAllowed('second_factor')
  async codeForm(@CurrentPrincipal() p: Principal, @Query('next') next: unknown): Promise<WebResult> {
    return this.codePage(p, safeNextPath(next));
  }

  @Post('sign-in/second-factor')
  @PendingSessionAllowed('second_factor')
  @HttpCode(200)
  async giveCode(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    const next = safeNextPath(f.next);
    const code = (f.code ?? '').slice(0, 40);
    try {
      const factor = await this.secondFactor.verifyCode(p.account, code, requestMeta(req));
      if (!(await this.sessions.addSecondFactor(p.sessionId!, factor))) throw new DomainError('session_expired');
    } catch (err) {
      if (err instanceof DomainError && err.code === 'invalid_credentials') return this.codePage(p, next, 'Wrong or already used code. Try the next code of your app.', 401);
      if (err instanceof DomainError && err.code === 'too_many_requests') return this.codePage(p, next, 'Too many failed attempts. Please wait a while and try again.', 429, { ...err.headers });
      throw err;
    }
    return new SeeOther(next);
  }

  @Get('mypage/two-factor')
  @PendingSessionAllowed('enrolment')
  async page(@CurrentPrincipal() p: Principal, @Query('notice') notice: unknown): Promise<WebResult> {
    return new Page(twoFactorPage(await this.view(p, { setup: await this.twoFactor.pendingTotp(p.account), notice: noticeText(notice) })));
  }

  @Post('mypage/two-factor/totp')
  @PendingSessionAllowed('enrolment')
  @HttpCode(200)
  async begin(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    const setup = await this.twoFactor.beginTotp(p.account, requestMeta(req));
    return new Page(twoFactorPage(await this.view(p, { setup })));
  }

  @Post('mypage/two-factor/totp/confirm')
  @PendingSessionAllowed('enrolment')
  @HttpCode(200)
  async confirm(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const account = await this.accounts.findById(p.account.id);
    if (!account) throw new DomainError('session_expired');
    const code = (formFields(body).code ?? '').slice(0, 40);
    let done;
    try {
      done = await this.secondFactor.confirmTotp(account, code, requestMeta(req));
    } catch (err) {
      const again = async (error: string, status: number, headers: Record<string, string> = {}) =>
        new Page(twoFactorPage(await this.view(p, { setup: await this.twoFactor.pendingTotp(p.account), error })), status, headers);
      if (err instanceof DomainError && err.code === 'invalid_credentials') return again('That code did not match. Check the clock of your phone and enter the current code.', 401);
      if (err instanceof DomainError && err.code === 'too_many_requests') return again('Too many failed attempts. Please wait a while and try again.', 429, { ...err.headers });
      throw err;
    }
    // The code just given is this session's second factor: a pending (enrolment) session is complete now.
    await this.sessions.addSecondFactor(p.sessionId!, 'totp');
    return new Page(twoFactorPage(await this.view(p, { recoveryCodes: done.recoveryCodes, appPassword: done.appPassword, notice: 'The authenticator app is on: signing in now needs a code from it.' })));
  }

  @Post('mypage/two-factor/recovery-codes')
  @RecentSecondFactor()
  @HttpCode(200)
  async regenerate(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    if (!(await this.factors.hasAny(p.account.id))) throw new DomainError('conflict', 'recovery codes need a second factor first');
    const recoveryCodes = await this.twoFactor.regenerateRecoveryCodes(p.account, requestMeta(req));
    return new Page(twoFactorPage(await this.view(p, { recoveryCodes })));
  }

  @Post('mypage/two-factor/totp/disable')
  @RecentSecondFactor()
  @HttpCode(200)
  async disable(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    const status = await this.twoFactor.status(p.account);
    if (status.required && status.passkeys === 0) {
      return new Page(twoFactorPage(await this.view(p, { error: 'Your account must have a second factor: add a passkey before turning the authenticator app off.' })), 409);
    }
    await this.twoFactor.disableTotp(p.account, requestMeta(req));
    return new SeeOther('/mypage/two-factor?notice=two-factor-off');
  }

  private async codePage(p: Principal, next: string, error?: string, status = 200, headers: Record<string, string> = {}): Promise<WebResult> {
    const methods = await this.factors.methods(p.account.id);
    const pending = p.secondFactor?.pending === 'second_factor';
    // Nothing to give (no second factor): a re-verify has nothing to ask.
    if (!pending && !methods.length) return new SeeOther(next);
    const csrf = this.sessions.csrfToken(p.sessionId!);
    return new Page(secondFactorPage({ reverify: !pending, next, csrf, login: p.account.login, methods, error, extra: methods.includes('passkey') ? passkeySecondFactorForm(csrf, next) : undefined }), status, headers);
  }

  private async view(p: Principal, extra: { setup?: TotpSetup | null; recoveryCodes?: string[]; appPassword?: string; notice?: string | null; error?: string | null }) {
    const [status, connection] = await Promise.all([this.twoFactor.status(p.account), this.connections.find(p.account.id)]);
    return { viewer: viewerOf(p, this.sessions), status, connectionState: connection?.state ?? null, mustEnrol: p.secondFactor?.pending === 'enrolment', extra: passkeysTwoFactorSection(status.passkeys), ...extra };
  }
}
