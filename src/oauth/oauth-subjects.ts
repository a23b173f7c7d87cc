import { Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service.js';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
import { parseSubject } from './core/subject.js';

export interface ActiveSubject {
  accountId: string;
  accountLogin: string;
  subloginId: string | null;
  /** The login that signed in: the sublogin's when there is one. */
  login: string;
}

/**
 * The user behind an OAuth subject, if they may still act: an active account, or an enabled
 * sublogin of one. The provider asks on every authorization and token request (findAccount),
 * so a suspended account or a disabled sublogin can neither authorize nor refresh.
 */
@Injectable()
export class OAuthSubjects {
  constructor(
    private readonly accounts: AccountsService,
    private readonly sublogins: SubloginLookup,
  ) {}

  async active(sub: string): Promise<ActiveSubject | null> {
    const subject = parseSubject(sub);
    if (!subject) return null;
    const account = await this.accounts.findById(subject.accountId);
    if (!account || account.status !== 'active') return null;
    if (!subject.subloginId) return { accountId: account.id, accountLogin: account.login, subloginId: null, login: account.login };
    const sublogin = await this.sublogins.findOfAccount(account.id, subject.subloginId);
    if (!sublogin || !sublogin.enabled) return null;
    return { accountId: account.id, accountLogin: account.login, subloginId: sublogin.id, login: sublogin.login };
  }
}
