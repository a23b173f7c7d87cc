/** The headers of COPY and MOVE: Destination (RFC 4918 §10.3) and Overwrite (§10.6). */
import { ABSOLUTE_URI, BAD_PERCENT, DavHeaderError, type HeaderValue, PATH_ABSOLUTE, singleHeader } from './header-syntax.js';

// ---------------------------------------------------------------------------------------------
// Destination (RFC 4918 §10.3)

export interface Destination {
  /** For an absolute URI; null for a path-only Destination (same host by definition). */
  readonly scheme: 'http' | 'https' | null;
  /** Lower-cased host[:port], default port dropped (see `normalizeHost`); null for a path. */
  readonly host: string | null;
  /** The path as sent (still percent-encoded), without query: for the ACL canonicaliser. */
  readonly rawPath: string;
  /** The path decoded once, for the mount and storage lookup. */
  readonly path: string;
}

/**
 * `Destination: http://host/dav/a%20b` or `/dav/a%20b` (Simple-ref). The caller checks that
 * `host` is its own (else 502 Bad Gateway, §9.8.5; see same-server.ts) and that `path` is in
 * the same mount.
 *
 * User info (`http://user:password@host/…`, as lftp sends it) names no other resource: it is
 * dropped here, never kept, so nothing can log or echo it; the host and port still decide.
 *
 * Refused: other schemes, fragments, `//host` references, bad or over-encoded
 * percent escapes, invalid UTF-8, and decoded segments that are `.` or `..` or hold `/`, `\`
 * or NUL — rather than resolving them, so that the ACL check and the storage write cannot
 * read two different paths out of one header.
 */
export function parseDestination(value: HeaderValue): Destination {
  const raw = singleHeader('Destination', value)?.trim();
  if (raw === undefined || raw === '') throw new DavHeaderError('Destination', 'missing');

  let scheme: Destination['scheme'] = null;
  let host: string | null = null;
  let pathAndQuery: string;
  if (raw.startsWith('/')) {
    if (!PATH_ABSOLUTE.test(raw)) destinationError('not a valid absolute path');
    pathAndQuery = raw;
  } else {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/.exec(raw);
    if (m === null || !ABSOLUTE_URI.test(raw)) destinationError('not an absolute URI or path');
    const s = m[1]!.toLowerCase();
    if (s !== 'http' && s !== 'https') destinationError('scheme must be http or https');
    scheme = s as 'http' | 'https';
    // RFC 3986 authority: [ userinfo "@" ] host [ ":" port ]; userinfo holds no unencoded `@`.
    const authority = m[2]!;
    host = normalizeHost(authority.slice(authority.lastIndexOf('@') + 1), scheme);
    if (host === '') destinationError('no host');
    pathAndQuery = m[3]! === '' ? '/' : m[3]!;
    if (!pathAndQuery.startsWith('/')) pathAndQuery = `/${pathAndQuery}`; // `http://h?q`
  }
  const rawPath = pathAndQuery.split('?', 1)[0]!;
  const path = rawPath
    .split('/')
    .map((segment) => {
      if (BAD_PERCENT.test(segment)) destinationError('bad percent-encoding');
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return destinationError('invalid UTF-8 in path');
      }
      if (decoded === '.' || decoded === '..') destinationError('dot segment in path');
      if (/[/\\\u0000]/.test(decoded)) destinationError('encoded separator or NUL in path');
      return decoded;
    })
    .join('/');
  return { scheme, host, rawPath, path };
}

function destinationError(reason: string): never {
  throw new DavHeaderError('Destination', reason);
}

/**
 * `Example.COM:80` with scheme http → `example.com`. Apply the same to the request's Host to
 * compare it with `Destination.host`. IPv6 literals keep their brackets.
 */
export function normalizeHost(host: string, scheme: 'http' | 'https'): string {
  const h = host.trim().toLowerCase();
  const defaultPort = scheme === 'http' ? ':80' : ':443';
  return h.endsWith(defaultPort) ? h.slice(0, -defaultPort.length) : h;
}

// ---------------------------------------------------------------------------------------------
// Overwrite (RFC 4918 §10.6)

/** `T` or `F` (case-insensitive); absent means `T`. */
export function parseOverwrite(value: HeaderValue): boolean {
  const raw = singleHeader('Overwrite', value);
  if (raw === undefined) return true;
  const text = raw.trim().toUpperCase();
  if (text !== 'T' && text !== 'F') throw new DavHeaderError('Overwrite', 'expected T or F');
  return text === 'T';
}
