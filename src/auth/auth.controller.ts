import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { SecondFactors } from '../two-factor/second-factors.js';
import { PendingSessionAllowed } from '../two-factor/two-factor.decorators.js';
import { Auth, CurrentPrincipal, Public } from './auth.decorators.js';
import { LoginDto, LoginResponseDto, SecondFactorDto, SecondFactorResponseDto } from './dto/login.dto.js';
import { LoginCsrfGuard } from './login-csrf.guard.js';
import { LoginService } from './login.service.js';
import { SecondFactorService } from './second-factor.service.js';
import type { Principal } from './principal.js';
import { requestMeta } from './request-meta.js';
import { assertSecureTransport } from './tls-policy.js';
import { CSRF_COOKIE, SESSION_COOKIE, SessionsService } from './sessions.service.js';
import { clearSignInToken } from './sign-in-token.js';

@ApiTags('session')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly login: LoginService,
    private readonly sessions: SessionsService,
    private readonly secondFactor: SecondFactorService,
    private readonly factors: SecondFactors,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('login')
  @Public()
  // Login CSRF: another site's Origin, Sec-Fetch-Site: cross-site, or a form without the sign-in page's token → 403.
  @UseGuards(LoginCsrfGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with the login password; sets the session and CSRF cookies',
    description:
      "Refused (403 csrf_failed) when the request comes from another site (an Origin other than this service's, or Sec-Fetch-Site: cross-site), and for a form body without the sign-in page's token (`_signin` with its cookie, from GET /sign-in). Scripts send JSON.",
  })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiForbiddenResponse({ description: 'A cross-site request, or a form without the sign-in token (`csrf_failed`)', type: ErrorResponseDto })
  async signIn(@Body() body: LoginDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<LoginResponseDto> {
    assertSecureTransport(req, this.config);
    const meta = requestMeta(req);
    const account = await this.login.verifyLoginPassword(body.login, body.password, meta);
    // With a second factor (or one to set up) the session is pending: it takes only the routes that complete it (contract §4.9).
    const next = await this.secondFactor.afterPassword(account);
    const { token, session, csrfToken } = await this.sessions.create(account, meta, { factors: ['password'], pending: next?.pending ?? null });
    const secure = req.protocol === 'https';
    const maxAge = this.config.sessionTtlSeconds;
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge });
    // Readable by the page's script, which echoes it in X-CSRF-Token (double submit).
    reply.setCookie(CSRF_COOKIE, csrfToken, { httpOnly: false, sameSite: 'lax', secure, path: '/', maxAge });
    if (body._signin !== undefined) clearSignInToken(reply); // used, as the sign-in page does
    const answer: LoginResponseDto = { login: account.login, role: account.role, csrfToken, expiresAt: session.expiresAt.toISOString() };
    if (next?.pending === 'second_factor') return { ...answer, secondFactorRequired: true, methods: next.methods };
    if (next?.pending === 'enrolment') return { ...answer, enrolmentRequired: true };
    return answer;
  }

  @Post('login/second-factor')
  @Auth('session')
  @PendingSessionAllowed('second_factor')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Give the second factor: completes a pending sign-in, or re-verifies a session for sensitive actions',
    description:
      'A 6-digit TOTP code (accepted once within its window) or an unused recovery code (used up). A pending session (after `POST /auth/login` answered `secondFactorRequired`) becomes a complete one with the same cookie; a complete session records the fresh second factor, which sensitive actions need within 10 minutes (contract §4.9). Wrong codes are throttled like passwords (`429`). Needs the CSRF token.',
  })
  @ApiOkResponse({ type: SecondFactorResponseDto })
  @ApiUnauthorizedResponse({ description: 'Wrong or already used code (`invalid_credentials`), or no session', type: ErrorResponseDto })
  async giveSecondFactor(@Body() body: SecondFactorDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<SecondFactorResponseDto> {
    const meta = requestMeta(req);
    const factor = await this.secondFactor.verifyCode(principal.account, body.code, meta);
    const session = await this.sessions.addSecondFactor(principal.sessionId!, factor);
    if (!session) throw new DomainError('session_expired', 'the session has ended; sign in again');
    return {
      login: principal.account.login,
      factors: session.factors,
      factor,
      recoveryCodesLeft: await this.factors.recoveryCodesLeft(principal.account.id),
      expiresAt: session.expiresAt.toISOString(),
    };
  }

  @Post('logout')
  @Auth('session')
  @PendingSessionAllowed('second_factor', 'enrolment')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session (needs the CSRF token)' })
  @ApiNoContentResponse()
  async signOut(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    if (principal.sessionId) await this.sessions.destroy(principal.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
  }
}
