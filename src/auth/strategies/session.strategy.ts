import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
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
  ) {
    super();
    registry.register('session', this); // no challenge: a browser must not pop up a password dialog
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
