import { Injectable } from '@nestjs/common';
import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../errors/domain-error.js';
import type { Principal } from '../principal.js';
import { CSRF_FORM_FIELD, CSRF_HEADER, SESSION_COOKIE, SessionsService } from '../sessions.service.js';
import { CredentialStrategy } from './credential-strategy.js';
import { RequestStrategy } from './request-strategy.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The `session` credential method (contract §4.6): the session cookie, and the CSRF token for state changes. */
@Injectable()
export class SessionStrategy extends CredentialStrategy(RequestStrategy, 'session') {
  constructor(private readonly sessions: SessionsService) {
    super();
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
      secondFactor: { factors: session.factors, at: session.secondFactorAt?.getTime() ?? null, pending: session.pending },
    };
  }
}

/**
 * `Cookie realm="…", form-action="/sign-in", cookie-name="portcullis_session"`: the challenge of
 * session routes. A 401 must name a way in (RFC 9110 §11.6.1); this scheme
 * (draft-broyer-http-cookie-auth) says: sign in with a form, which sets a cookie. Browsers show
 * their password dialog only for schemes they implement, so a session-only route pops none.
 */
export function sessionChallenge(realm: string): string {
  return `Cookie realm="${realm}", form-action="/sign-in", cookie-name="${SESSION_COOKIE}"`;
}
