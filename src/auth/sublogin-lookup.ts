import type { Account } from '../accounts/account.entity.js';

/** What the Basic strategy needs of a sublogin; the sublogins module provides it. */
export interface SubloginCredential {
  id: string;
  login: string;
  name: string;
  passwordHash: string;
  enabled: boolean;
}

export abstract class SubloginLookup {
  abstract findForAuth(login: string): Promise<{ sublogin: SubloginCredential; customer: Account } | null>;
}
