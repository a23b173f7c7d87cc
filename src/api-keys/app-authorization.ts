/**
 * One OAuth authorization of an application by the account or one of its sublogins, as MyPage's
 * connected applications show it beside API-key use (ConnectedApplicationDto). Listed by the
 * OAuth grants (src/oauth/oauth-grants.service.ts), which sit above the API keys.
 */
export interface AppAuthorization {
  /** Who granted it: the account's login or a sublogin's. */
  login: string;
  sublogin: string | null;
  scopes: string[];
  authorizedAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
}
