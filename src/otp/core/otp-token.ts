// One-time password tokens (contract §4.5): `LOGIN:EXPIRE:SALT:AUTH`.
// Pure functions only: parsing, time window, MAC check, replay key. Lookup of the
// password, the replay store and the HTTP mapping (all codes are 401) live elsewhere.
import { createHmac, hash, timingSafeEqual } from 'node:crypto';

export type OtpAlgorithm = 'md5' | 'hmac-sha256';

export interface ParsedOtp {
  login: string;
  /** EXPIRE as a number (Unix seconds), for the time checks. */
  expire: number;
  /** EXPIRE exactly as sent: the MAC covers these digits, so `0017…` ≠ `17…`. */
  expireText: string;
  salt: string;
  /** Lower-case hex. */
  auth: string;
  algorithm: OtpAlgorithm;
}

export type OtpErrorCode = 'otp_malformed' | 'otp_expired' | 'otp_too_long';

export class OtpError extends Error {
  override readonly name = 'OtpError';
  constructor(
    readonly code: OtpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const OTP_MAX_LENGTH = 1024;
export const OTP_LOGIN_MAX_LENGTH = 70;
export const OTP_SALT_MAX_LENGTH = 512;

// 12 digits reach year ~33658: plenty, and always a safe integer.
const EXPIRE_RE = /^[0-9]{1,12}$/;
const MD5_RE = /^[0-9a-fA-F]{32}$/;
const SHA256_RE = /^[0-9a-fA-F]{64}$/;
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

function malformed(why: string): never {
  // The reason is for logs only; it never contains the token itself.
  throw new OtpError('otp_malformed', `malformed OTP: ${why}`);
}

/**
 * Parses `LOGIN:EXPIRE:SALT:AUTH`. LOGIN is before the first `:`, EXPIRE the second
 * field, AUTH after the last `:`, SALT everything in between (may contain `:`).
 * Throws `OtpError('otp_malformed')` for anything else.
 */
export function parseOtp(raw: string): ParsedOtp {
  // The value comes from a query string or a JSON body: it may not even be a string.
  if (typeof raw !== 'string') malformed('not a string');
  if (raw.length > OTP_MAX_LENGTH) malformed('too long');
  // Lone surrogates would be replaced by U+FFFD when hashed as UTF-8, letting two
  // different texts share one MAC and one replay key: refuse them up front.
  if (!raw.isWellFormed()) malformed('not well-formed Unicode');

  const first = raw.indexOf(':');
  const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
  const last = raw.lastIndexOf(':');
  // Three distinct separators are needed for four fields.
  if (first < 0 || second < 0 || last <= second) malformed('expected LOGIN:EXPIRE:SALT:AUTH');

  const login = raw.slice(0, first);
  const expireText = raw.slice(first + 1, second);
  const salt = raw.slice(second + 1, last);
  const authText = raw.slice(last + 1);

  if (login.length === 0 || login.length > OTP_LOGIN_MAX_LENGTH || CONTROL_RE.test(login)) {
    malformed('bad LOGIN');
  }
  if (!EXPIRE_RE.test(expireText)) malformed('bad EXPIRE');
  const expire = Number(expireText);
  if (!Number.isSafeInteger(expire)) malformed('bad EXPIRE');
  if (salt.length === 0 || salt.length > OTP_SALT_MAX_LENGTH || CONTROL_RE.test(salt)) {
    malformed('bad SALT');
  }
  let algorithm: OtpAlgorithm;
  if (MD5_RE.test(authText)) algorithm = 'md5';
  else if (SHA256_RE.test(authText)) algorithm = 'hmac-sha256';
  else malformed('bad AUTH');

  return { login, expire, expireText, salt, auth: authText.toLowerCase(), algorithm };
}

/** `expire === now` is still valid; `now + maxTtl` exactly is still allowed. */
export function checkOtpTime(otp: ParsedOtp, nowSeconds: number, maxTtlSeconds: number): void {
  if (otp.expire < nowSeconds) throw new OtpError('otp_expired', 'OTP expired');
  if (otp.expire > nowSeconds + maxTtlSeconds) {
    throw new OtpError('otp_too_long', 'OTP expiry is too far ahead');
  }
}

/** The raw MAC bytes a client must send (hex-encoded) for these inputs. */
export function computeOtpAuth(
  expireText: string,
  salt: string,
  password: string,
  algorithm: OtpAlgorithm,
): Buffer {
  if (algorithm === 'md5') {
    // MD5 is the legacy reference-client format; it is a MAC here only because the
    // password is secret. Clients that can should use hmac-sha256.
    return hash('md5', `${expireText}:${salt}:${password}`, 'buffer');
  }
  return createHmac('sha256', Buffer.from(password, 'utf8'))
    .update(`${expireText}:${salt}`, 'utf8')
    .digest();
}

/** Constant-time check of AUTH against the password the login uses for Basic. */
export function verifyOtpAuth(otp: ParsedOtp, password: string): boolean {
  const expected = computeOtpAuth(otp.expireText, otp.salt, password, otp.algorithm);
  const given = Buffer.from(otp.auth, 'hex');
  // Lengths are public (they follow from the algorithm); timingSafeEqual needs them equal.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The token as sent if its MAC verifies, else — when SALT holds a space — with every space read as
 * `+`, else null. A base64 salt put into a query string (or a form body) unencoded arrives with
 * its `+` decoded as a space, about one token in eight from clients that do so; such a token is
 * still one attempt (one failure, one audit record) and one token (the replay key is computed on
 * the spelling that verified). The second MAC is computed for any login, known or not, alike.
 */
export function verifyAsSentOrPlus(otp: ParsedOtp, password: string): ParsedOtp | null {
  if (verifyOtpAuth(otp, password)) return otp;
  if (!otp.salt.includes(' ')) return null;
  const plus = { ...otp, salt: otp.salt.replaceAll(' ', '+') };
  return verifyOtpAuth(plus, password) ? plus : null;
}

/**
 * Key of the replay set: sha256 hex of the canonical token, so the same token with
 * upper- or lower-case AUTH is one token. The canonical text is unambiguous because
 * LOGIN, EXPIRE and AUTH contain no `:`. Only the hash is stored, never the token.
 */
export function otpReplayKey(raw: string | ParsedOtp): string {
  const otp = typeof raw === 'string' ? parseOtp(raw) : raw;
  const canonical = `${otp.login}:${otp.expireText}:${otp.salt}:${otp.auth.toLowerCase()}`;
  return hash('sha256', canonical, 'hex');
}

/**
 * The reference client algorithm: builds `LOGIN:EXPIRE:SALT:AUTH` (AUTH lower-case hex).
 * No validation: it shows how a client computes a token, valid or not.
 */
export function makeOtp(
  login: string,
  password: string,
  expire: number | string,
  salt: string,
  algorithm: OtpAlgorithm = 'md5',
): string {
  const expireText = String(expire);
  const auth = computeOtpAuth(expireText, salt, password, algorithm).toString('hex');
  return `${login}:${expireText}:${salt}:${auth}`;
}
