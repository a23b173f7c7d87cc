// HTTP Basic (RFC 7617) parsing and challenge, contract §4.1 and §8. Pure: the strategy
// decides what to do with the result (verify, or let another scheme try).
import { Buffer } from 'node:buffer';

export type BasicAuthorization =
  | { kind: 'none' }
  | { kind: 'other-scheme'; scheme: string }
  | { kind: 'basic'; userId: string; password: string };

export class MalformedAuthorizationError extends Error {
  override readonly name = 'MalformedAuthorizationError';
  readonly code = 'malformed_authorization';
  /** Why, for logs and audit; never contains the credentials. */
  constructor(readonly reason: string) {
    super(`malformed Authorization header: ${reason}`);
  }
}

export const BASIC_HEADER_MAX_LENGTH = 8 * 1024;
export const BASIC_USER_ID_MAX_CHARS = 256;
export const BASIC_PASSWORD_MAX_CHARS = 1024;

// RFC 9110 token: what an auth-scheme may be.
const SCHEME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Standard base64 alphabet (RFC 7617 says base64, RFC 4648 §4), optional padding.
const BASE64_RE = /^([A-Za-z0-9+/]+)(=*)$/;
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads an `Authorization` header value. `none` when absent or empty; `other-scheme`
 * for any well-formed non-Basic scheme (Bearer, Digest…: another strategy, or a 401);
 * `basic` with the decoded credentials. Throws `MalformedAuthorizationError` for a
 * Basic header that is not exactly `Basic <base64 of id:password>`, or a value with no
 * valid scheme at all.
 */
export function parseBasicAuthorization(header: string | undefined): BasicAuthorization {
  if (header === undefined || header === '') return { kind: 'none' };

  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  if (!SCHEME_RE.test(scheme)) throw new MalformedAuthorizationError('no valid scheme');
  if (scheme.toLowerCase() !== 'basic') return { kind: 'other-scheme', scheme };

  if (header.length > BASIC_HEADER_MAX_LENGTH) throw new MalformedAuthorizationError('too long');
  // Exactly one SP, then the token: a tab, a second space or trailing space fails the regex.
  const token = space < 0 ? '' : header.slice(space + 1);
  const decoded = decodeBase64Strict(token);
  if (decoded === undefined) throw new MalformedAuthorizationError('not base64');

  const text = decodeText(decoded);
  const colon = text.indexOf(':');
  if (colon < 0) throw new MalformedAuthorizationError('no colon');
  // Split at the first colon: user-ids cannot contain one, passwords may (RFC 7617 §2).
  const userId = text.slice(0, colon);
  const password = text.slice(colon + 1);

  if (userId === '') throw new MalformedAuthorizationError('empty user-id');
  if (password === '') throw new MalformedAuthorizationError('empty password');
  if (CONTROL_RE.test(userId) || CONTROL_RE.test(password)) {
    throw new MalformedAuthorizationError('control character');
  }
  if (codePoints(userId) > BASIC_USER_ID_MAX_CHARS) throw new MalformedAuthorizationError('user-id too long');
  if (codePoints(password) > BASIC_PASSWORD_MAX_CHARS) throw new MalformedAuthorizationError('password too long');
  return { kind: 'basic', userId, password };
}

/**
 * Canonical base64 only: right padding or none, and no stray bits in the last symbol.
 * Buffer.from(…, 'base64') alone skips junk silently, so two spellings could mean the
 * same credentials; re-encoding and comparing makes the accepted form unique.
 */
function decodeBase64Strict(token: string): Buffer | undefined {
  const m = BASE64_RE.exec(token);
  if (!m) return undefined;
  const data = m[1]!;
  const padding = m[2]!;
  // Padding is optional, but if present it must be exactly what completes the quantum.
  if (padding !== '' && padding.length !== (4 - (data.length % 4)) % 4) return undefined;
  const bytes = Buffer.from(data, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === data ? bytes : undefined;
}

/** UTF-8 when the bytes are valid UTF-8, else ISO-8859-1 (older clients). */
function decodeText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

// Limits count characters (code points), not UTF-16 units; input is ≤ 6 KiB here.
function codePoints(s: string): number {
  return [...s].length;
}

/** `Basic realm="…", charset="UTF-8"`. Throws RangeError for a realm that cannot be a header value. */
export function basicChallenge(realm: string): string {
  // Only printable ASCII: CR/LF would split the header, and Node refuses other
  // characters in header values at send time (a 500 on every challenge).
  if (!/^[\x20-\x7e]*$/.test(realm)) throw new RangeError('realm must be printable ASCII');
  return `Basic realm="${realm.replace(/["\\]/g, '\\$&')}", charset="UTF-8"`;
}
