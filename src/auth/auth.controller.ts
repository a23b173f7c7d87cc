import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { Auth, CurrentPrincipal, Public } from './auth.decorators.js';
import { LoginDto, LoginResponseDto } from './dto/login.dto.js';
import { LoginCsrfGuard } from './login-csrf.guard.js';
import { LoginService } from './login.service.js';
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
    const { token, session, csrfToken } = await this.sessions.create(account, meta);
    const secure = req.protocol === 'https';
    const maxAge = this.config.sessionTtlSeconds;
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge });
    // Readable by the page's script, which echoes it in X-CSRF-Token (double submit).
    reply.setCookie(CSRF_COOKIE, csrfToken, { httpOnly: false, sameSite: 'lax', secure, path: '/', maxAge });
    if (body._signin !== undefined) clearSignInToken(reply); // used, as the sign-in page does
    return { login: account.login, role: account.role, csrfToken, expiresAt: session.expiresAt.toISOString() };
  }

  @Post('logout')
  @Auth('session')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session (needs the CSRF token)' })
  @ApiNoContentResponse()
  async signOut(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    if (principal.sessionId) await this.sessions.destroy(principal.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
  }
}
