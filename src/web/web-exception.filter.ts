import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_COOKIE, SESSION_COOKIE, SessionsService } from '../auth/sessions.service.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { toErrorResponse } from '../errors/error-mapping.js';
import { html } from './core/html.js';
import { layout, type Viewer } from './views/layout.js';
import { htmlHeaders, seeOther } from './web-result.js';

/** What a person is told, where the API's message is written for programs. */
const FRIENDLY: Partial<Record<ErrorCode, string>> = {
  csrf_failed: 'This form could not be accepted: its security token is missing or out of date (for example after signing in again in another tab). Go back, reload the page and try again.',
  admin_required: 'This page is for operators only.',
  not_found: 'There is no such page or item (it may have been deleted).',
  tls_required: 'Signing in works over HTTPS only. Use the https:// address of this service.',
  account_suspended: 'Your account is suspended. Please contact support.',
};

/** The codes that mean "nobody is signed in (any more)": the page sends the browser to sign in. */
const SIGN_IN_AGAIN: ReadonlySet<string> = new Set<ErrorCode>(['authentication_required', 'session_expired']);

/**
 * The error handling of the page controllers only (the API keeps its JSON errors): a request
 * without a live session is sent to the sign-in page (303, with `next` for a GET), and every
 * other error becomes an HTML page with the same status the API would answer.
 */
@Catch()
@Injectable()
export class WebExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WebPages');

  constructor(private readonly sessions: SessionsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const res = toErrorResponse(exception);
    if (res.unexpected) this.logger.error({ err: exception, reqId: req.id }, 'unexpected error');
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    const code = res.body.code;
    if (code === 'session_expired' || code === 'account_suspended') {
      reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
    }
    if (SIGN_IN_AGAIN.has(code)) {
      const params = new URLSearchParams();
      if (req.method === 'GET') params.set('next', req.url);
      if (code === 'session_expired') params.set('notice', 'session-expired');
      const query = params.toString();
      seeOther(reply, `/sign-in${query ? `?${query}` : ''}`).send();
      return;
    }

    // The second factor (contract §4.9): a pending session goes to its code form or to enrolment;
    // a sensitive action without a recent second factor asks for it, then comes back (a GET to
    // itself, a form post to the page that held the form).
    if (code === 'second_factor_enrolment_required') {
      seeOther(reply, '/mypage/two-factor').send();
      return;
    }
    if (code === 'second_factor_required' || code === 'recent_second_factor_required') {
      const back = req.method === 'GET' ? req.url : refererPath(req);
      seeOther(reply, `/sign-in/second-factor${back ? `?${new URLSearchParams({ next: back })}` : ''}`).send();
      return;
    }

    const principal = req.principal;
    const viewer: Viewer | null =
      principal?.method === 'session' && principal.sessionId && code !== 'account_suspended'
        ? { login: principal.account.login, role: principal.account.role, csrf: this.sessions.csrfToken(principal.sessionId) }
        : null;
    const details = Array.isArray(res.body.details)
      ? (res.body.details as unknown[]).flatMap((d) => (d && typeof d === 'object' && Array.isArray((d as { problems?: unknown }).problems) ? ((d as { problems: string[] }).problems) : []))
      : [];
    const message = FRIENDLY[code] ?? res.body.message;
    const body = html`<section>
<p>${message}</p>
${details.length ? html`<ul>${details.map((d) => html`<li>${d}</li>`)}</ul>` : ''}
<p class="hint">Error ${res.status} · <code>${code}</code> · request <code>${req.id}</code></p>
<p><a href="${viewer ? '/mypage' : '/sign-in'}">${viewer ? 'Back to MyPage' : 'Sign in'}</a></p>
</section>`;
    const { 'WWW-Authenticate': _challenge, ...headers } = res.headers;
    htmlHeaders(reply, res.status).headers(headers).send(layout({ title: res.status >= 500 ? 'Something went wrong' : 'That did not work', viewer }, body).value);
  }
}

/** The path of a same-site Referer (the page a form was posted from), or undefined. */
function refererPath(req: FastifyRequest): string | undefined {
  const referer = req.headers.referer;
  if (!referer) return undefined;
  try {
    const url = new URL(referer);
    return url.host === req.headers.host ? url.pathname + url.search : undefined;
  } catch {
    return undefined;
  }
}
