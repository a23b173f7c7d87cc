import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual, randomToken } from '../crypto/secrets.js';

/**
 * The sign-in form's own token (double submit, before any session exists): without it, another
 * site could post its own credentials to a sign-in form and sign the visitor in as the attacker
 * (login CSRF), to read what they then upload. `GET /sign-in` issues it, in the page's hidden
 * field and in a cookie scoped to the sign-in path; a form post to `POST /sign-in` or
 * `POST /auth/login` must present both, equal.
 */
export const SIGN_IN_COOKIE = 'portcullis_signin';
export const SIGN_IN_FIELD = '_signin';

/** A fresh token: set as the cookie, returned for the form's hidden field. */
export function issueSignInToken(req: FastifyRequest, reply: FastifyReply): string {
  const token = randomToken(24);
  reply.setCookie(SIGN_IN_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: req.protocol === 'https', path: '/sign-in', maxAge: 3600 });
  return token;
}

/** Whether the form field `presented` matches the request's sign-in cookie. */
export function signInTokenValid(req: FastifyRequest, presented: unknown): boolean {
  const cookieToken = req.cookies?.[SIGN_IN_COOKIE];
  return !!cookieToken && typeof presented === 'string' && presented !== '' && constantTimeEqual(cookieToken, presented);
}

export function clearSignInToken(reply: FastifyReply): void {
  reply.clearCookie(SIGN_IN_COOKIE, { path: '/sign-in' });
}
