import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service.js';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { TaggedCache } from '../shared-state/tagged-cache.js';
import { parseSubject } from './core/subject.js';

export interface ActiveSubject {
  accountId: string;
  accountLogin: string;
  subloginId: string | null;
  /** The login that signed in: the sublogin's when there is one. */
  login: string;
}

const MAX_SUBJECTS = 100_000;

/**
 * The user behind an OAuth subject, if they may still act: an active account, or an enabled
 * sublogin of one. The provider asks on every authorization and token request (findAccount),
 * so a suspended account or a disabled sublogin can neither authorize nor refresh.
 *
 * Answers are remembered (TaggedCache) under the logins involved: every change to an account's
 * status, an account's or a sublogin's existence or state is announced (CredentialEvents) and
 * drops them on every instance, as it drops the Bearer cache's entries.
 */
@Injectable()
export class OAuthSubjects implements OnModuleInit {
  private readonly cache: TaggedCache<ActiveSubject | null>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly accounts: AccountsService,
    private readonly sublogins: SubloginLookup,
    private readonly credentialEvents: CredentialEvents,
  ) {
    // Fails closed while broadcasts may go unheard (see TaggedCache).
    this.cache = new TaggedCache(config.verifyCacheTtlSeconds * 1000, MAX_SUBJECTS, credentialEvents);
  }

  onModuleInit(): void {
    this.credentialEvents.onChange((login) => this.cache.dropTag(`login:${login}`));
  }

  async active(sub: string): Promise<ActiveSubject | null> {
    const cached = this.cache.get(sub);
    if (cached !== undefined) return cached;
    const generation = this.cache.generation();
    const { subject, logins } = await this.load(sub);
    // An answer with no login to hear about (no such account or sublogin) is not remembered.
    if (logins.length) this.cache.set(sub, subject, logins.map((l) => `login:${l}`), generation);
    return subject;
  }

  private async load(sub: string): Promise<{ subject: ActiveSubject | null; logins: string[] }> {
    const subject = parseSubject(sub);
    if (!subject) return { subject: null, logins: [] };
    const account = await this.accounts.findById(subject.accountId);
    if (!account) return { subject: null, logins: [] };
    if (account.status !== 'active') return { subject: null, logins: [account.login] };
    if (!subject.subloginId) return { subject: { accountId: account.id, accountLogin: account.login, subloginId: null, login: account.login }, logins: [account.login] };
    const sublogin = await this.sublogins.findOfAccount(account.id, subject.subloginId);
    if (!sublogin) return { subject: null, logins: [] };
    if (!sublogin.enabled) return { subject: null, logins: [account.login, sublogin.login] };
    return { subject: { accountId: account.id, accountLogin: account.login, subloginId: sublogin.id, login: sublogin.login }, logins: [account.login, sublogin.login] };
  }
}
