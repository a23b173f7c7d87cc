import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../../config/app-config.token.js';
import { DomainError } from '../../errors/domain-error.js';
import type { Principal } from '../principal.js';
import { StrategyRegistry } from '../strategy-registry.js';
import { RequestStrategy } from './request-strategy.js';
import { CSRF_FORM_FIELD, CSRF_HEADER, SESSION_COOKIE, SessionsService } from '../sessions.service.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

@Injectable()
export class SessionStrategy extends PassportStrategy(RequestStrategy, 'session') {
  constructor(
    private readonly sessions: SessionsService,
    registry: StrategyRegistry,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super();
    // A 401 must name a way in (RFC 9110 §11.6.1). The `Cookie` scheme (draft-broyer-http-cookie-auth):
    // sign in with a form, which sets a cookie. Browsers show their password dialog only for
    // schemes they implement (Basic, Digest, …), so a session-only page or route still pops none.
    const challenge = sessionChallenge(config.basicRealm);
    registry.register('session', this, { challenge: () => challenge });
  }

  async validate(req: FastifyRequest): Promise<Principal | null> {
    const token = req.cookies?.[SESSION_COOKIE];
    if (!token) return null;
    const found = await this.sessions.resolve(token);
    if (!found) throw new DomainError('session_expired', 'the session has ended; sign in again');
    const { session, account } = found;
    if (account.status !== 'active') throw new DomainError('account_suspended', 'the account is suspended');
    // A cookie is sent by the browser on its own; a state change also needs proof that our page asked for it.
    if (!SAFE_METHODS.has(req.method)) {
      const body = req.body as Record<string, unknown> | undefined;
      const presented = (req.headers[CSRF_HEADER] as string | undefined) ?? (typeof body?.[CSRF_FORM_FIELD] === 'string' ? (body[CSRF_FORM_FIELD] as string) : undefined);
      if (!this.sessions.csrfValid(session.id, presented)) throw new DomainError('csrf_failed', `send the CSRF token in the ${CSRF_HEADER} header`);
    }
    return {
      method: 'session',
      account: { id: account.id, login: account.login, role: account.role },
      sublogin: null,
      application: null,
      scopes: null,
      sessionId: session.id,
    };
  }
}

/** `Cookie realm="…", form-action="/sign-in", cookie-name="portcullis_session"`: the challenge of session routes. */
export function sessionChallenge(realm: string): string {
  return `Cookie realm="${realm}", form-action="/sign-in", cookie-name="${SESSION_COOKIE}"`;
}
