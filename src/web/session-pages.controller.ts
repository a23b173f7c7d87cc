import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Auth, CurrentPrincipal, Public } from '../auth/auth.decorators.js';
import { LoginDto } from '../auth/dto/login.dto.js';
import { LoginService } from '../auth/login.service.js';
import { SecondFactorService } from '../auth/second-factor.service.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { CSRF_COOKIE, SESSION_COOKIE, SessionsService } from '../auth/sessions.service.js';
import { clearSignInToken, issueSignInToken, SIGN_IN_FIELD, signInTokenValid } from '../auth/sign-in-token.js';
import { assertSecureTransport } from '../auth/tls-policy.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { PendingSessionAllowed } from '../two-factor/two-factor.decorators.js';
import { safeNextPath } from './core/next-path.js';
import { type FormBody, formFields, validateAs } from './forms.js';
import { noticeText } from './notices.js';
import { signInPage } from './views/sign-in.view.js';
import { WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

/** Sign in and out in the browser: the same sessions and cookies as `POST /auth/login` (contract §4.6). */
@WebPages()
@Controller()
export class SessionPagesController {
  constructor(
    private readonly login: LoginService,
    private readonly sessions: SessionsService,
    private readonly secondFactor: SecondFactorService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  home(): WebResult {
    return new SeeOther('/mypage');
  }

  @Get('sign-in')
  @Public()
  form(@Query('next') next: unknown, @Query('notice') notice: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): WebResult {
    return new Page(signInPage({ formToken: this.issueFormToken(req, reply), next: safeNextPath(next), notice: noticeText(notice) }));
  }

  @Post('sign-in')
  @Public()
  @HttpCode(200)
  async signIn(@Body() body: FormBody, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebResult> {
    assertSecureTransport(req, this.config);
    const fields = formFields(body);
    const next = safeNextPath(fields.next);
    const again = (status: number, error: string, headers: Record<string, string> = {}) =>
      new Page(signInPage({ formToken: this.issueFormToken(req, reply), next, login: fields.login?.slice(0, 100), error }), status, headers);

    // The sign-in form's own token (login CSRF; see auth/sign-in-token.ts), shared with POST /auth/login.
    if (!signInTokenValid(req, fields[SIGN_IN_FIELD])) {
      return again(403, 'The sign-in form had expired. Please sign in again.');
    }
    const input = await validateAs(LoginDto, { login: fields.login, password: fields.password });
    if (!input.ok) return again(400, 'Enter your login and password.');
    let account;
    try {
      account = await this.login.verifyLoginPassword(input.value.login, input.value.password, requestMeta(req));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'invalid_credentials') return again(401, 'Wrong login or password.');
      if (err instanceof DomainError && err.code === 'too_many_requests') return again(429, 'Too many failed attempts. Please wait a while and try again.', { ...err.headers });
      throw err;
    }
    // With a second factor (or one to set up) the session is pending: it takes only the routes that complete it (contract §4.9).
    const pending = await this.secondFactor.afterPassword(account);
    const { token, csrfToken } = await this.sessions.create(account, requestMeta(req), { factors: ['password'], pending: pending?.pending ?? null });
    // The same cookies as AuthController.signIn: the API and the pages share the session.
    const secure = req.protocol === 'https';
    const maxAge = this.config.sessionTtlSeconds;
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge });
    reply.setCookie(CSRF_COOKIE, csrfToken, { httpOnly: false, sameSite: 'lax', secure, path: '/', maxAge });
    clearSignInToken(reply);
    if (pending?.pending === 'second_factor') return new SeeOther(`/sign-in/second-factor?${new URLSearchParams({ next })}`);
    if (pending?.pending === 'enrolment') return new SeeOther('/mypage/two-factor');
    return new SeeOther(next);
  }

  @Post('sign-out')
  @Auth('session')
  @PendingSessionAllowed('second_factor', 'enrolment')
  async signOut(@CurrentPrincipal() p: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebResult> {
    if (p.sessionId) await this.sessions.destroy(p.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
    return new SeeOther('/sign-in?notice=signed-out');
  }

  private issueFormToken(req: FastifyRequest, reply: FastifyReply): string {
    return issueSignInToken(req, reply);
  }
}
