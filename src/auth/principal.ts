import type { AccountRole } from '../accounts/account.entity.js';
import type { CredentialLimits } from '../common/credential-limits.js';

export type AuthMethod = 'basic' | 'bearer' | 'otp' | 'session';

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
  /** For session requests: the session's id (hash), for logout. */
  sessionId?: string;
}

/** The login a principal authenticated as: the sublogin's when there is one. */
export function principalLogin(p: Principal): string {
  return p.sublogin?.login ?? p.account.login;
}
