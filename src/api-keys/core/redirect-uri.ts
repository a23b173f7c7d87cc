/**
 * Which OAuth redirect URIs an application may register (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700
 * §2.1): absolute, no fragment, no user info, and
 *  - `https:` anywhere,
 *  - `http:` only to a loopback address (native apps' local listener),
 *  - a private-use scheme in reverse-domain form (`com.example.app:/callback`), for native apps.
 * Anything else (`javascript:`, `data:`, `file:`, plain `http:` to a remote host) is refused here,
 * at registration, rather than at the first authorization.
 */
export const MAX_REDIRECT_URI_LENGTH = 2000;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

/** Null when acceptable, else why not. */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH) return `must be 1 to ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (/[\s\p{Cc}]/u.test(uri)) return 'must not contain spaces or control characters';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain user information';
  if (url.protocol === 'https:') return url.hostname ? null : 'needs a host';
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? null : 'http is allowed only for loopback (127.0.0.1, [::1], localhost); use https';
  if (PRIVATE_USE_SCHEME.test(url.protocol)) return null;
  return 'must be https, http to loopback, or a reverse-domain private-use scheme (com.example.app:/callback)';
}
