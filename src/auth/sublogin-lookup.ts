import type { Account } from '../accounts/account.entity.js';

/** What the Basic and OTP strategies need of a sublogin; the sublogins module provides it. */
export interface SubloginCredential {
  id: string;
  login: string;
  name: string;
  passwordHash: string;
  /** Secret-box copy of the password: OTP recomputes its MAC with the plain password. */
  passwordBox: string | null;
  enabled: boolean;
}

export abstract class SubloginLookup {
  abstract findForAuth(login: string): Promise<{ sublogin: SubloginCredential; customer: Account } | null>;
}
