import { Body, Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type Interaction, type InteractionResults } from 'oidc-provider';
import { IsIn, IsString, Length } from 'class-validator';
import { Public } from '../auth/auth.decorators.js';
import { requestMeta } from '../auth/request-meta.js';
import { assertSecureTransport } from '../auth/tls-policy.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { constantTimeEqual, KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { API_SCOPES, splitScopes } from './core/scopes.js';
import { formatSubject } from './core/subject.js';
import { OAuthLoginService } from './oauth-login.service.js';
import { consentPage, errorPage, loginPage, PAGE_HEADERS, secondFactorPage } from './oauth-pages.js';
import { INTERACTION_PATH, OAuthProvider } from './oauth-provider.js';
import { OAuthSubjects } from './oauth-subjects.js';

export class InteractionLoginDto {
  @IsString() @Length(1, 100) login: string;
  @IsString() @Length(1, 1024) password: string;
  @IsString() @Length(1, 128) _csrf: string;
}

export class InteractionSecondFactorDto {
  @IsString() @Length(1, 128) _csrf: string;
  @IsString() @Length(1, 300) ticket: string;
  @IsString() @Length(6, 40) code: string;
}

export class InteractionConsentDto {
  @IsString() @Length(1, 128) _csrf: string;
  @IsIn(['allow', 'deny']) decision: 'allow' | 'deny';
}

export class InteractionAbortDto {
  @IsString() @Length(1, 128) _csrf: string;
}

/** Scopes a consent page may show: ours, and the two OpenID ones the provider knows. */
const SHOWN_SCOPES = new Set<string>([...API_SCOPES, 'openid', 'offline_access']);
const UID = /^[A-Za-z0-9_-]{1,64}$/;

/** Refusals of a sign-in step shown on its page again, by DomainError code (besides wrong credentials). */
const REFUSALS: Readonly<Record<string, { status: number; message: string }>> = {
  too_many_requests: { status: 429, message: 'Too many failed attempts. Wait a while, then try again.' },
  // A sublogin outside its limits (contract §4.7): told only after its password verified.
  credential_expired: { status: 401, message: 'This login has expired.' },
  address_not_allowed: { status: 403, message: 'This login may not be used from your address.' },
};

/**
 * How the page shows `err` (its headers, such as Retry-After, set on `reply`), `wrongCredentials`
 * being the step's words for a wrong password or code; undefined for an error to throw.
 */
function refusal(err: unknown, wrongCredentials: string, reply: FastifyReply): { status: number; message: string } | undefined {
  if (!(err instanceof DomainError)) return undefined;
  if (err.code === 'invalid_credentials') return { status: 401, message: wrongCredentials };
  const refused = REFUSALS[err.code];
  if (refused) for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
  return refused;
}

class ExpiredInteraction extends Error {}

/**
 * The login and consent pages of the authorization server (contract §4.4), for the interactions
 * oidc-provider starts (`/oauth/interaction/<uid>`, the browser holding its interaction cookie).
 *
 * Forms are CSRF-safe three times over: the interaction cookie is SameSite=Lax (a cross-site POST
 * does not carry it), the form posts a token bound to the interaction (`_csrf`, an HMAC of its
 * id, checked in constant time), and the id itself is unguessable and lives only in this
 * browser's URL. Pages cannot be framed (CSP frame-ancestors, X-Frame-Options).
 *
 * Not in the OpenAPI document: these are pages for people, not API routes (the OAuth endpoints
 * themselves are described there).
 */
@ApiExcludeController()
@Controller(INTERACTION_PATH.slice(1))
export class InteractionController {
  constructor(
    private readonly oauth: OAuthProvider,
    private readonly logins: OAuthLoginService,
    private readonly subjects: OAuthSubjects,
    private readonly keys: KeyRing,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(':uid')
  @Public()
  async show(@Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    assertSecureTransport(req, this.config);
    const interaction = await this.interaction(uid, req, reply);
    if (!interaction) return;
    if (interaction.prompt.name === 'login') return this.showLogin(interaction, reply, 200);
    if (interaction.prompt.name === 'consent') return this.showConsent(interaction, reply);
    this.page(reply, 400, errorPage('Unsupported request', 'This authorization request asks for something this service cannot do.'));
  }

  @Post(':uid/login')
  @Public()
  async login(@Param('uid') uid: string, @Body() body: InteractionLoginDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    assertSecureTransport(req, this.config);
    const interaction = await this.interaction(uid, req, reply, body._csrf);
    if (!interaction) return;
    if (interaction.prompt.name !== 'login') return this.redirect(reply, `${INTERACTION_PATH}/${interaction.uid}`);
    let subject;
    try {
      subject = await this.logins.verify(body.login, body.password, requestMeta(req));
    } catch (err) {
      const refused = refusal(err, 'The login or password is wrong.', reply);
      if (!refused) throw err;
      return this.showLogin(interaction, reply, refused.status, body.login, refused.message);
    }
    // An account with a second factor gives it next (no back door through OAuth, contract §4.9).
    if (subject.pending === 'second_factor') return this.showSecondFactor(interaction, reply, 200, this.logins.secondFactorTicket(interaction.uid, subject.accountId), subject.login);
    if (subject.pending === 'enrolment') return this.showLogin(interaction, reply, 403, body.login, 'Your account must have a second factor: set one up on MyPage (/mypage/two-factor), then sign in here again.');
    return this.finish(req, reply, { login: { accountId: formatSubject(subject), amr: ['pwd'] } });
  }

  @Post(':uid/second-factor')
  @Public()
  async secondFactor(@Param('uid') uid: string, @Body() body: InteractionSecondFactorDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    assertSecureTransport(req, this.config);
    const interaction = await this.interaction(uid, req, reply, body._csrf);
    if (!interaction) return;
    if (interaction.prompt.name !== 'login') return this.redirect(reply, `${INTERACTION_PATH}/${interaction.uid}`);
    let subject;
    try {
      subject = await this.logins.verifySecondFactor(interaction.uid, body.ticket, body.code, requestMeta(req));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'session_expired') return this.showLogin(interaction, reply, 401, undefined, 'The sign-in took too long. Sign in again.');
      const refused = refusal(err, 'Wrong or already used code.', reply);
      if (!refused) throw err;
      return this.showSecondFactor(interaction, reply, refused.status, body.ticket, undefined, refused.message);
    }
    return this.finish(req, reply, { login: { accountId: formatSubject(subject), amr: ['pwd', 'otp'] } });
  }

  private async showSecondFactor(interaction: Interaction, reply: FastifyReply, status: number, ticket: string, login?: string, error?: string): Promise<void> {
    const base = `${INTERACTION_PATH}/${interaction.uid}`;
    const clientName = await this.clientName(interaction);
    this.page(reply, status, secondFactorPage({ action: `${base}/second-factor`, abortAction: `${base}/abort`, csrf: this.csrf(interaction.uid), ticket, clientName, login: login ?? 'your account', error }));
  }

  @Post(':uid/consent')
  @Public()
  async consent(@Param('uid') uid: string, @Body() body: InteractionConsentDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    assertSecureTransport(req, this.config);
    const interaction = await this.interaction(uid, req, reply, body._csrf);
    if (!interaction) return;
    if (interaction.prompt.name !== 'consent' || !interaction.session) return this.redirect(reply, `${INTERACTION_PATH}/${interaction.uid}`);
    if (body.decision === 'deny') {
      return this.finish(req, reply, { error: 'access_denied', error_description: 'the user denied the request' });
    }
    const { Grant } = this.oauth.provider;
    const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    const clientId = String(interaction.params.client_id);
    const existing = interaction.grantId ? await Grant.find(interaction.grantId) : undefined;
    const grant = existing ?? new Grant({ accountId: interaction.session.accountId, clientId });
    if (details.missingOIDCScope?.length) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return this.finish(req, reply, { consent: { grantId } }, true);
  }

  @Post(':uid/abort')
  @Public()
  async abort(@Param('uid') uid: string, @Body() body: InteractionAbortDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    assertSecureTransport(req, this.config);
    const interaction = await this.interaction(uid, req, reply, body._csrf);
    if (!interaction) return;
    return this.finish(req, reply, { error: 'access_denied', error_description: 'the user cancelled the sign-in' });
  }

  /**
   * The interaction this browser is in, if it is the one in the URL (and, for a form, the form
   * carries its CSRF token); otherwise an error page is sent and undefined returned.
   */
  private async interaction(uid: string, req: FastifyRequest, reply: FastifyReply, csrf?: string): Promise<Interaction | undefined> {
    try {
      if (!UID.test(uid)) throw new ExpiredInteraction();
      const interaction = await this.oauth.provider.interactionDetails(req.raw, reply.raw);
      if (interaction.uid !== uid) throw new ExpiredInteraction();
      if (csrf !== undefined && !constantTimeEqual(csrf, this.csrf(uid))) {
        this.page(reply, 403, errorPage('Request refused', 'The form did not come from this sign-in page. Reload the page and try again.'));
        return undefined;
      }
      return interaction;
    } catch (err) {
      if (!(err instanceof ExpiredInteraction) && !(err instanceof errors.SessionNotFound)) throw err;
      this.page(reply, 400, errorPage('This sign-in has expired', 'The authorization request is no longer valid here (it expired, was completed, or was opened in another browser).'));
      return undefined;
    }
  }

  private async showLogin(interaction: Interaction, reply: FastifyReply, status: number, login?: string, error?: string): Promise<void> {
    const base = `${INTERACTION_PATH}/${interaction.uid}`;
    const clientName = await this.clientName(interaction);
    this.page(reply, status, loginPage({ action: `${base}/login`, abortAction: `${base}/abort`, csrf: this.csrf(interaction.uid), clientName, login, error }));
  }

  private async showConsent(interaction: Interaction, reply: FastifyReply): Promise<void> {
    const subject = interaction.session ? await this.subjects.active(interaction.session.accountId) : null;
    if (!subject) {
      this.page(reply, 400, errorPage('This sign-in has expired', 'The account that signed in can no longer authorize applications.'));
      return;
    }
    const client = await this.oauth.provider.Client.find(String(interaction.params.client_id));
    const scopes = splitScopes(typeof interaction.params.scope === 'string' ? interaction.params.scope : '').filter((s) => SHOWN_SCOPES.has(s));
    this.page(
      reply,
      200,
      consentPage({
        action: `${INTERACTION_PATH}/${interaction.uid}/consent`,
        csrf: this.csrf(interaction.uid),
        clientName: client?.clientName ?? 'An application',
        clientUri: client?.clientUri,
        login: subject.login,
        sublogin: subject.subloginId !== null,
        scopes,
      }),
    );
  }

  private async clientName(interaction: Interaction): Promise<string> {
    const client = await this.oauth.provider.Client.find(String(interaction.params.client_id));
    return client?.clientName ?? 'An application';
  }

  private csrf(uid: string): string {
    return this.keys.hmac('oauth-interaction-csrf', uid);
  }

  private page(reply: FastifyReply, status: number, html: string): void {
    void reply.code(status).headers(PAGE_HEADERS).send(html);
  }

  /** Ends the interaction with `result` and sends the browser back to the authorization endpoint. */
  private async finish(req: FastifyRequest, reply: FastifyReply, result: InteractionResults, mergeWithLastSubmission = false): Promise<void> {
    this.redirect(reply, await this.oauth.provider.interactionResult(req.raw, reply.raw, result, { mergeWithLastSubmission }));
  }

  private redirect(reply: FastifyReply, location: string): void {
    void reply.code(303).header('location', location).header('cache-control', 'no-store').send();
  }
}
