import { basicChallenge } from '../auth/core/basic-header.js';
import type { AuthMethod } from '../auth/principal.js';
import { sessionChallenge } from '../auth/strategies/session.strategy.js';
import { bearerChallenge } from '../oauth/bearer.strategy.js';

/** The WWW-Authenticate challenge of each credential method (an OTP has none: it is a parameter). */
export function methodChallenges(realm: string): Readonly<Record<AuthMethod, string | undefined>> {
  return { basic: basicChallenge(realm), bearer: bearerChallenge(realm), otp: undefined, session: sessionChallenge(realm), link: undefined };
}

/** A route's challenges, in its methods' order (RFC 7235: a 401 tells every way in); undefined when none has one. */
export function challengesOf(methods: readonly AuthMethod[], challenges: Readonly<Record<AuthMethod, string | undefined>>): string | undefined {
  return methods.map((m) => challenges[m]).filter((c): c is string => !!c).join(', ') || undefined;
}

/** Each method as a person would look for it: what a request without credentials is told. */
const WAYS_IN: Readonly<Record<AuthMethod, string>> = {
  basic: "HTTP Basic (a sublogin's own password as CUSTOMER-NAME, or one of the account's app passwords from MyPage)",
  bearer: 'an OAuth 2 Bearer token',
  otp: 'a one-time password (otp=LOGIN:EXPIRE:SALT:AUTH in the query or body)',
  session: 'a session (sign in at /sign-in, or POST /auth/login)',
  link: 'a signed link (/link/TOKEN)',
};

export function missingCredentials(methods: readonly AuthMethod[]): string {
  return `this route needs credentials: ${listOr(methods.map((m) => WAYS_IN[m]))}`;
}

function listOr(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
