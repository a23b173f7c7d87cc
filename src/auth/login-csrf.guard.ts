import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { loginCsrfDecision, originOf } from './core/login-csrf.js';
import { SIGN_IN_FIELD, signInTokenValid } from './sign-in-token.js';

/**
 * Refuses sign-ins another site could have made the visitor's browser send (login CSRF; the
 * rules are core/login-csrf.ts): `403 csrf_failed` before any password is checked, so nothing is
 * counted, audited or set. The route is `@Public()` for the access pipeline; this guard runs
 * after it and before the body is validated.
 *
 * The service's own origin is PUBLIC_URL's, or the request's as seen: `req.protocol` and
 * `req.host` believe X-Forwarded-Proto/-Host only from a TRUST_PROXY proxy, and a browser sets
 * Host itself (a page on another site cannot choose it, nor add X-Forwarded-* without a preflight).
 */
@Injectable()
export class LoginCsrfGuard implements CanActivate {
  private readonly publicOrigin: string | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.publicOrigin = originOf(config.publicUrl);
  }

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const body = req.body as Record<string, unknown> | null | undefined;
    const decision = loginCsrfDecision(
      {
        origin: header(req, 'origin'),
        secFetchSite: header(req, 'sec-fetch-site'),
        contentType: header(req, 'content-type'),
        signInTokenValid: signInTokenValid(req, body && typeof body === 'object' ? body[SIGN_IN_FIELD] : undefined),
      },
      this.ownOrigins(req),
    );
    if (decision.ok) return true;
    throw new DomainError(
      'csrf_failed',
      decision.reason === 'cross_site'
        ? 'sign-in refused: the request came from another site'
        : `a sign-in form must carry the sign-in page's token (the ${SIGN_IN_FIELD} field of GET /sign-in, with its cookie); scripts send JSON`,
    );
  }

  private ownOrigins(req: FastifyRequest): Set<string> {
    const own = new Set<string>();
    if (this.publicOrigin) own.add(this.publicOrigin);
    const seen = req.host ? originOf(`${req.protocol}://${req.host}`) : null;
    if (seen) own.add(seen);
    return own;
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
