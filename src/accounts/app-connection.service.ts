import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { Account } from './account.entity.js';
import { AppConnection } from './app-connection.entity.js';
import type { AppPassword } from './app-password.entity.js';
import { AppPasswordService } from './app-password.service.js';
import { type AppConnectionAction, AppConnectionError, transition } from './core/app-connection.js';

/** An app connection still in `legacy`, with its account loaded. */
export type LegacyConnection = AppConnection & { account: Account };

export interface AppConnectionChange {
  connection: AppConnection;
  /** The newly issued password, present only in the answer that issued it. */
  password?: string;
  /** Its row (enable, reissue). */
  appPassword?: AppPassword;
}

/** The external application connection of contract §4.2, persisted; the rules live in core/app-connection.ts. */
@Injectable()
export class AppConnectionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly appPasswords: AppPasswordService,
    private readonly credentialEvents: CredentialEvents,
  ) {}

  /**
   * The account's connection, its last use being the latest of the account's own Basic/OTP
   * secrets: the login password while legacy, else its most recently used app password.
   */
  async get(accountId: string): Promise<AppConnection> {
    const connection = await this.find(accountId);
    if (!connection) throw new DomainError('not_found', 'no app connection for this account');
    const latest = await this.appPasswords.lastUsed(accountId);
    if (latest?.lastUsedAt && (!connection.lastUsedAt || latest.lastUsedAt > connection.lastUsedAt)) {
      connection.lastUsedAt = latest.lastUsedAt;
      connection.lastUsedIp = latest.lastUsedIp;
    }
    return connection;
  }

  find(accountId: string): Promise<AppConnection | null> {
    return this.dataSource.getRepository(AppConnection).findOneBy({ accountId });
  }

  /**
   * The legacy-cutoff view (contract §4.2): connections still `legacy`, so Basic still takes their
   * account's login password, most recently used first; never-used ones come last.
   */
  async listLegacy(offset: number, limit: number): Promise<{ items: LegacyConnection[]; total: number }> {
    const [items, total] = await this.dataSource
      .getRepository(AppConnection)
      .createQueryBuilder('c')
      .innerJoinAndSelect('c.account', 'a')
      .where('c.state = :state', { state: 'legacy' })
      .orderBy('c.lastUsedAt', 'DESC', 'NULLS LAST')
      .addOrderBy('a.login', 'ASC')
      .offset(offset)
      .limit(limit)
      .getManyAndCount();
    return { items: items as LegacyConnection[], total };
  }

  /**
   * enable/reissue issue one new unlimited app password and revoke every other (the old ones stop
   * at once); disable revokes them all. The change is announced, so every instance's caches drop
   * what they verified with the old passwords.
   */
  async apply(account: Account, action: AppConnectionAction): Promise<AppConnectionChange> {
    const current = await this.get(account.id);
    let next;
    try {
      next = transition(current.state, action);
    } catch (err) {
      if (err instanceof AppConnectionError) throw new DomainError('app_connection_conflict', `cannot ${action} from state ${current.state}`);
      throw err;
    }
    const now = new Date();
    const update: Partial<AppConnection> = { state: next.state, issuedAt: next.issuesPassword ? now : current.issuedAt, updatedAt: now };
    const issued = await this.dataSource.transaction(async (m) => {
      await m.update(AppConnection, { accountId: account.id }, update);
      // Leaving `legacy` for good: the login password is no longer a Basic/OTP secret, so its
      // readable copy goes.
      if (current.state === 'legacy') await m.update(Account, { id: account.id }, { passwordBox: null });
      if (next.issuesPassword) return this.appPasswords.replaceAllIn(m, account.id);
      await this.appPasswords.revokeAllIn(m, account.id);
      return undefined;
    });
    await this.credentialEvents.changed(account.login);
    return { connection: Object.assign(current, update), password: issued?.password, appPassword: issued?.appPassword };
  }
}
