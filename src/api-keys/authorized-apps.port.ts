import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';

/** One OAuth authorization of an application by the account or one of its sublogins. */
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

/**
 * The OAuth half of "connected applications" (contract §4.4, `/api/me/apps`): the applications an
 * account (or its sublogins) authorized, and revoking them. Implemented by the OAuth module, so
 * that API keys do not depend on it; absent, MyPage lists API-key use and blocks only.
 */
export abstract class AuthorizedApplications {
  /** Application id → its authorizations by the account and its sublogins. */
  abstract list(accountId: string): Promise<Map<string, AppAuthorization[]>>;
  /** Deletes every authorization of the application by the account and its sublogins, everywhere, at once. Returns how many. */
  abstract revoke(principal: Principal, applicationId: string, req: FastifyRequest): Promise<number>;
}
