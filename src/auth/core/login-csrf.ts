/**
 * Login CSRF (sign-in from another site): the pure decision for `POST /auth/login`.
 *
 * A browser on another site can post a form (urlencoded, multipart, text/plain: no CORS
 * preflight) to the sign-in route with the attacker's credentials, and the visitor is then signed
 * in as the attacker. A JSON post from another site needs a preflight, which this service never
 * grants, so it is no threat; a script's JSON login (no `Origin`) stays possible. So:
 * - an `Origin` that is not the service's own, or `Sec-Fetch-Site: cross-site`, is refused
 *   whatever the body (browsers send `Origin` with every POST; `null` is another site too);
 * - any body that is not `application/json` must carry the sign-in page's double-submit token.
 */

/** What the decision reads of a request. */
export interface LoginRequestFacts {
  /** The `Origin` header as sent (undefined when absent). */
  origin: string | undefined;
  /** The `Sec-Fetch-Site` header as sent. */
  secFetchSite: string | undefined;
  /** The `Content-Type` header as sent. */
  contentType: string | undefined;
  /** Whether the body carries the sign-in page's token and it matches its cookie. */
  signInTokenValid: boolean;
}

export type LoginCsrfDecision = { ok: true } | { ok: false; reason: 'cross_site' | 'form_token' };

/**
 * `ownOrigins`: the origins this service is reached at (`PUBLIC_URL`'s, and the request's own as
 * seen — Host, or X-Forwarded-Host/-Proto from a TRUST_PROXY proxy), serialised by `originOf`.
 */
export function loginCsrfDecision(facts: LoginRequestFacts, ownOrigins: ReadonlySet<string>): LoginCsrfDecision {
  if (facts.secFetchSite !== undefined && facts.secFetchSite.trim().toLowerCase() === 'cross-site') return { ok: false, reason: 'cross_site' };
  if (facts.origin !== undefined) {
    const origin = originOf(facts.origin);
    if (origin === null || !ownOrigins.has(origin)) return { ok: false, reason: 'cross_site' };
  }
  if (mediaType(facts.contentType) !== 'application/json' && !facts.signInTokenValid) return { ok: false, reason: 'form_token' };
  return { ok: true };
}

/**
 * The serialised origin (`scheme://host[:port]`, lower case, default port left out) of a URL or
 * an `Origin` header value; null for `null`, several values, or anything that is not an http(s)
 * origin.
 */
export function originOf(value: string): string | null {
  const v = value.trim();
  if (v === '' || v === 'null' || /[\s,]/.test(v)) return null;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.origin;
}

/** `type/subtype` of a Content-Type header, lower case; '' when absent. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}
