import type { AccountRole } from '../accounts/account.entity.js';
import type { CredentialLimits } from '../common/credential-limits.js';
import type { SessionSecondFactor } from '../two-factor/factors.js';

export type AuthMethod = 'basic' | 'bearer' | 'otp' | 'session' | 'link';

/** Who a request acts as. Every strategy produces this same shape (STYLE.md 3). */
export interface Principal {
  method: AuthMethod;
  /** The customer whose resources are acted on (for a sublogin: its customer). */
  account: { id: string; login: string; role: AccountRole };
  /** Set when a sublogin authenticated; its ACL then limits what the account allows. */
  sublogin: { id: string; login: string; name: string } | null;
  /** The application (API key or OAuth client) the request came through, if any. */
  application: { id: string; name: string } | null;
  /** OAuth scopes of a token; null for credentials that carry the user's full rights. */
  scopes: string[] | null;
  /**
   * Expiry and address ranges of the credentials the request came through (a scoped app password,
   * a sublogin, the sublogin that granted a token): checked on every request, cached or not,
   * by the access pipeline (contract §4.7). Absent or empty: no limits.
   */
  limits?: readonly CredentialLimits[];
  /**
   * Set when an account authenticated with one of its app passwords (Basic, OTP): which one, for
   * its last use, and its rule set (sublogin syntax, canonical; null: the account's full rights),
   * which the ACL applies as one more limit, refusing with `outside_scope` (contract §4.2).
   */
  appPassword?: { id: string; name: string; rules: readonly { path: string; effect: 'allow' | 'deny' }[] | null };
  /** For session requests: the session's id (hash), for logout. */
  sessionId?: string;
  /** For session requests: the factors given, when the last second factor was, and a pending stage (contract §4.9). */
  secondFactor?: SessionSecondFactor;
}

/**
 * Whether the principal acts with every right of its account (contract §6): a full login, not a
 * sublogin, not a token's scopes, not an app password with rules. Anything else is decided by the ACL.
 */
export function hasFullRights(p: Principal): boolean {
  return p.sublogin === null && p.scopes === null && !p.appPassword?.rules;
}

/** The login a principal authenticated as: the sublogin's when there is one. */
export function principalLogin(p: Principal): string {
  return p.sublogin?.login ?? p.account.login;
}
