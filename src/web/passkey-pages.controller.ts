import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import { Auth, CurrentPrincipal, Public } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { CSRF_COOKIE, SESSION_COOKIE, SessionsService } from '../auth/sessions.service.js';
import { clearSignInToken, issueSignInToken, SIGN_IN_COOKIE, SIGN_IN_FIELD, signInTokenValid } from '../auth/sign-in-token.js';
import { assertSecureTransport } from '../auth/tls-policy.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { PasskeyCeremonies } from '../two-factor/passkeys/passkey-ceremonies.service.js';
import { PasskeyStore } from '../two-factor/passkeys/passkey-store.js';
import { RECENT_SECOND_FACTOR_MS } from '../two-factor/factors.js';
import { SecondFactors } from '../two-factor/second-factors.js';
import { PendingSessionAllowed, RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { TwoFactorService } from '../two-factor/two-factor.service.js';
import { safeNextPath } from './core/next-path.js';
import { type FormBody, formFields } from './forms.js';
import { passkeySecondFactorForm, passkeysPage, type PasskeysView } from './views/passkeys.view.js';
import { signInPage } from './views/sign-in.view.js';
import { secondFactorPage } from './views/two-factor.view.js';
import { viewerOf, WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

/** Fixed confirmations of the passkeys page (`?done=`): a link cannot put words on it. */
const DONE: Record<string, string> = {
  renamed: 'The passkey was renamed.',
  removed: 'The passkey was removed: it signs in nowhere any more.',
};

/** Where a sensitive action sends the browser to give the second factor again, and back. */
export const REVERIFY_PASSKEYS = '/sign-in/second-factor?next=%2Fmypage%2Fpasskeys';

/**
 * Passkeys in the browser (contract §4.9): `/mypage/passkeys` to add, name and remove them, and
 * the two sign-in forms that use one — alone (`/sign-in/passkey`) or as the second factor of a
 * session that has its password (`/sign-in/passkey/second-factor`). The ceremonies' options come
 * from PasskeyOptionsController; the browser's answer comes back here in an ordinary form post.
 */
@WebPages()
@Controller()
export class PasskeyPagesController {
  constructor(
    private readonly passkeys: PasskeyCeremonies,
    private readonly store: PasskeyStore,
    private readonly factors: SecondFactors,
    private readonly twoFactor: TwoFactorService,
    private readonly accounts: AccountsService,
    private readonly connections: AppConnectionService,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('mypage/passkeys')
  @Auth('session')
  @PendingSessionAllowed('enrolment')
  async list(@CurrentPrincipal() p: Principal, @Query('done') done: unknown): Promise<WebResult> {
    return new Page(passkeysPage(await this.view(p, { notice: typeof done === 'string' && Object.hasOwn(DONE, done) ? DONE[done]! : null })));
  }

  /** The browser's registration answer (views/passkey-script.ts) and the name given. */
  @Post('mypage/passkeys')
  @Auth('session')
  @PendingSessionAllowed('enrolment')
  @HttpCode(200)
  async add(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const fields = formFields(body);
    const account = await this.accounts.get(p.account.id);
    const meta = requestMeta(req);
    const first = !(await this.factors.hasAny(account.id));
    if (!first) assertRecentSecondFactor(p);
    let passkey;
    try {
      passkey = await this.passkeys.register(account, p.sessionId!, parseJson(fields.response), fields.name, meta);
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'passkey_refused' || err.code === 'validation_failed' || err.code === 'conflict')) {
        const why = err.message.replace(/^the passkey could not be registered: /, '');
        return new Page(passkeysPage(await this.view(p, { error: `The passkey was not added: ${why}.` })), err.status);
      }
      throw err;
    }
    // Making a passkey proves it is at hand: it counts as this session's second factor (and
    // completes a session that had to enrol).
    await this.sessions.addSecondFactor(p.sessionId!, 'passkey');
    let added: PasskeysView['added'] = { name: passkey.name };
    if (first) {
      // The first second factor: recovery codes, and no more login password for Basic (contract §4.9).
      const recoveryCodes = await this.twoFactor.regenerateRecoveryCodes(account, meta);
      const { appPassword } = await this.twoFactor.secondFactorAdded(account, meta);
      added = { name: passkey.name, recoveryCodes, ...(appPassword ? { appPassword } : {}) };
    }
    return new Page(passkeysPage(await this.view(p, { added, notice: `The passkey “${passkey.name}” was added.` })));
  }

  @Post('mypage/passkeys/:id/rename')
  @Auth('session')
  async rename(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    try {
      if (!(await this.passkeys.rename(p.account, id, formFields(body).name, requestMeta(req)))) throw new DomainError('not_found', 'no such passkey');
    } catch (err) {
      if (err instanceof DomainError && err.code === 'validation_failed') return new Page(passkeysPage(await this.view(p, { error: 'A passkey’s name is 1 to 64 characters.' })), 400);
      throw err;
    }
    return new SeeOther('/mypage/passkeys?done=renamed');
  }

  /** Sensitive (contract §4.9): a passkey is a way in; the last one is the second factor itself. */
  @Post('mypage/passkeys/:id/remove')
  @Auth('session')
  @RecentSecondFactor()
  async remove(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Req() req: FastifyRequest): Promise<WebResult> {
    const passkey = await this.store.findOf(p.account.id, id);
    if (!passkey) throw new DomainError('not_found', 'no such passkey');
    const [count, totp] = await Promise.all([this.store.countFor(p.account.id), this.factors.hasTotp(p.account.id)]);
    if (count === 1 && !totp && this.twoFactor.required(p.account)) {
      return new Page(passkeysPage(await this.view(p, { error: 'This is your only second factor, and your account must have one: add another passkey or an authenticator app first.' })), 409);
    }
    await this.passkeys.remove(p.account, id, requestMeta(req));
    return new SeeOther('/mypage/passkeys?done=removed');
  }

  /**
   * "Sign in with a passkey": a discoverable passkey that verified its user signs in alone, a
   * complete session with factors ['passkey']. The sign-in page's own token guards against login
   * CSRF; the challenge was bound to it (PasskeyOptionsController).
   */
  @Post('sign-in/passkey')
  @Public()
  @HttpCode(200)
  async signIn(@Body() body: FormBody, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebResult> {
    assertSecureTransport(req, this.config);
    const fields = formFields(body);
    const next = safeNextPath(fields.next);
    const again = (status: number, error: string) => new Page(signInPage({ formToken: issueSignInToken(req, reply), next, error }), status);
    if (!signInTokenValid(req, fields[SIGN_IN_FIELD])) return again(403, 'The sign-in form had expired. Please sign in again.');
    const meta = requestMeta(req);
    let account;
    try {
      const passkey = await this.passkeys.authenticate('sign-in', req.cookies[SIGN_IN_COOKIE]!, parseJson(fields.response), meta);
      account = await this.accounts.findById(passkey.accountId);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'invalid_credentials') return again(401, 'The passkey was not accepted. Try again, or sign in with your password.');
      throw err;
    }
    if (!account || account.status !== 'active') return again(401, 'The passkey was not accepted. Try again, or sign in with your password.');
    const { token, csrfToken } = await this.sessions.create(account, meta, { factors: ['passkey'] });
    this.setSessionCookies(req, reply, token, csrfToken);
    clearSignInToken(reply);
    return new SeeOther(next);
  }

  /** A passkey as the second factor of a session that has its password, or to confirm it is you again. */
  @Post('sign-in/passkey/second-factor')
  @Auth('session')
  @PendingSessionAllowed('second_factor')
  @HttpCode(200)
  async secondFactor(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const fields = formFields(body);
    const next = safeNextPath(fields.next);
    try {
      await this.passkeys.authenticate('second-factor', p.sessionId!, parseJson(fields.response), requestMeta(req), p.account);
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'invalid_credentials')) throw err;
      // The second-factor page again, saying why (its code form and this button).
      const csrf = this.sessions.csrfToken(p.sessionId!);
      const methods = await this.factors.methods(p.account.id);
      const error = 'The passkey was not accepted. Try again, or use another of your second factors.';
      return new Page(secondFactorPage({ reverify: p.secondFactor?.pending !== 'second_factor', next, csrf, login: p.account.login, methods, error, extra: passkeySecondFactorForm(csrf, next) }), 401);
    }
    if (!(await this.sessions.addSecondFactor(p.sessionId!, 'passkey'))) throw new DomainError('session_expired', 'the session has ended; sign in again');
    return new SeeOther(next);
  }

  private setSessionCookies(req: FastifyRequest, reply: FastifyReply, token: string, csrfToken: string): void {
    // The same cookies as the password sign-in (SessionPagesController).
    const secure = req.protocol === 'https';
    const maxAge = this.config.sessionTtlSeconds;
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge });
    reply.setCookie(CSRF_COOKIE, csrfToken, { httpOnly: false, sameSite: 'lax', secure, path: '/', maxAge });
  }

  private async view(p: Principal, extra: Partial<PasskeysView>): Promise<PasskeysView> {
    const [passkeys, totp, connection] = await Promise.all([this.store.listFor(p.account.id), this.factors.hasTotp(p.account.id), this.connections.find(p.account.id)]);
    return {
      viewer: viewerOf(p, this.sessions),
      passkeys,
      totp,
      legacyConnection: connection?.state === 'legacy',
      required: this.twoFactor.required(p.account),
      reverify: REVERIFY_PASSKEYS,
      ...extra,
    };
  }
}

/**
 * Adding a passkey to an account that has a second factor is a sensitive action (contract §4.9).
 * Not `@RecentSecondFactor()`: that also asks an account that must enrol and has nothing to give.
 */
export function assertRecentSecondFactor(p: Principal): void {
  const at = p.secondFactor?.at ?? null;
  if (at === null || Date.now() - at > RECENT_SECOND_FACTOR_MS) {
    throw new DomainError('recent_second_factor_required', 'give your second factor again (POST /auth/login/second-factor), then add the passkey');
  }
}

/** The browser's answer, as the script put it in the form; anything else fails verification. */
function parseJson(text: string | undefined): unknown {
  if (!text || text.length > 64 * 1024) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
