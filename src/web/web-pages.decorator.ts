import { applyDecorators, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Principal } from '../auth/principal.js';
import type { SessionsService } from '../auth/sessions.service.js';
import type { Viewer } from './views/layout.js';
import { WebExceptionFilter } from './web-exception.filter.js';
import { WebResultInterceptor } from './web-result.interceptor.js';

/**
 * Marks a controller as HTML pages: handlers return Page or SeeOther, errors become pages or a
 * redirect to sign in (WebExceptionFilter, scoped here so the API's JSON errors stay as they are),
 * and the routes stay out of the OpenAPI document. Access is still declared per route or
 * controller with `@Auth('session')`, `@AdminAuth()` or `@Public()`, like the API.
 */
export function WebPages(): ClassDecorator {
  return applyDecorators(ApiExcludeController(), UseFilters(WebExceptionFilter), UseInterceptors(WebResultInterceptor));
}

/** The signed-in person, for the layout and the CSRF field of every form. */
export function viewerOf(p: Principal, sessions: SessionsService): Viewer {
  if (!p.sessionId) throw new Error('pages are reached with a session');
  return { login: p.account.login, role: p.account.role, csrf: sessions.csrfToken(p.sessionId) };
}
