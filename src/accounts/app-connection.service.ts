import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { Account } from './account.entity.js';
import { AppConnection } from './app-connection.entity.js';
import { type AppConnectionAction, AppConnectionError, generateAppPassword, transition } from './core/app-connection.js';

/** An app connection still in `legacy`, with its account loaded. */
export type LegacyConnection = AppConnection & { account: Account };

export interface AppConnectionChange {
  connection: AppConnection;
  /** The newly issued password, present only in the answer that issued it. */
  password?: string;
}

/** The external application connection of contract §4.2, persisted; the rules live in core/app-connection.ts. */
@Injectable()
export class AppConnectionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly keys: KeyRing,
    private readonly credentialEvents: CredentialEvents,
  ) {}

  async get(accountId: string): Promise<AppConnection> {
    const connection = await this.find(accountId);
    if (!connection) throw new DomainError('not_found', 'no app connection for this account');
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

  async apply(account: Account, action: AppConnectionAction): Promise<AppConnectionChange> {
    const current = await this.get(account.id);
    let next;
    try {
      next = transition(current.state, action);
    } catch (err) {
      if (err instanceof AppConnectionError) throw new DomainError('app_connection_conflict', `cannot ${action} from state ${current.state}`);
      throw err;
    }
    const password = next.issuesPassword ? generateAppPassword() : undefined;
    const now = new Date();
    const update: Partial<AppConnection> = {
      state: next.state,
      passwordHash: password ? await this.hasher.hash(password) : null,
      passwordBox: password ? this.keys.secretBox.seal(password) : null,
      issuedAt: password ? now : null,
      updatedAt: now,
    };
    await this.dataSource.transaction(async (m) => {
      await m.update(AppConnection, { accountId: account.id }, update);
      // Leaving `legacy` for good: the login password is no longer a Basic/OTP secret, so its
      // readable copy goes.
      if (current.state === 'legacy') await m.update(Account, { id: account.id }, { passwordBox: null });
    });
    await this.credentialEvents.changed(account.login);
    return { connection: Object.assign(current, update), password };
  }
}
