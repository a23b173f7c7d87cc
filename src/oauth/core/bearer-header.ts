/**
 * RFC 6750 §2.1: `Authorization: Bearer <b64token>`. Another scheme, or no header, is "not a
 * Bearer credential" (another method may try); `Bearer` with a missing or ill-formed token is
 * malformed (400 `invalid_request`). Tokens in the query or body (§2.2, §2.3) are not accepted:
 * they end up in logs and caches.
 */
export type BearerHeader = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'malformed' };

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Far above any token we issue (43 characters); a longer value is not ours. */
export const MAX_BEARER_TOKEN_LENGTH = 1024;

export function parseBearerAuthorization(header: string | readonly string[] | undefined): BearerHeader {
  if (header === undefined) return { kind: 'none' };
  if (typeof header !== 'string') return { kind: 'malformed' }; // several Authorization headers
  if (header.length < 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return { kind: 'none' };
  if (header.length === 6) return { kind: 'malformed' };
  if (header[6] !== ' ') return { kind: 'none' }; // `Bearerx …` is another scheme
  const token = header.slice(7).replace(/^ +/, '');
  if (token.length === 0 || token.length > MAX_BEARER_TOKEN_LENGTH || !B64TOKEN.test(token)) return { kind: 'malformed' };
  return { kind: 'bearer', token };
}
