import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { Account, type AccountRole, type AccountStatus } from './account.entity.js';
import { AppConnection } from './app-connection.entity.js';
import { initialAppConnectionState } from './core/app-connection.js';

export const ACCOUNT_LOGIN_PATTERN = /^[a-z0-9][a-z0-9_.]{2,31}$/;

export interface NewAccount {
  login: string;
  password: string;
  email: string;
  role?: AccountRole;
  /** For imports: when the customer really registered; decides the legacy Basic state. */
  registeredAt?: Date;
}

@Injectable()
export class AccountsService {
  constructor(
    @InjectRepository(Account) private readonly accounts: Repository<Account>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hasher: PasswordHasher,
    private readonly keys: KeyRing,
    private readonly credentialEvents: CredentialEvents,
  ) {}

  /** Creates the account and its app connection (legacy or disabled by registration date) together. */
  async create(input: NewAccount): Promise<Account> {
    if (!ACCOUNT_LOGIN_PATTERN.test(input.login)) throw new DomainError('validation_failed', 'login must match ^[a-z0-9][a-z0-9_.]{2,31}$');
    const now = new Date();
    const registeredAt = input.registeredAt ?? now;
    const state = initialAppConnectionState(registeredAt, this.config.legacyBasicCutoff);
    const account = this.accounts.create({
      id: randomUUID(),
      login: input.login,
      email: input.email,
      passwordHash: await this.hasher.hash(input.password),
      // Only a legacy account's login password is ever needed in the clear (for OTP).
      passwordBox: state === 'legacy' ? this.keys.secretBox.seal(input.password) : null,
      role: input.role ?? 'user',
      status: 'active',
      registeredAt,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.dataSource.transaction(async (m) => {
        await m.insert(Account, account);
        await m.insert(AppConnection, { accountId: account.id, state, passwordHash: null, passwordBox: null, issuedAt: null, lastUsedAt: null, lastUsedIp: null, updatedAt: now });
      });
    } catch (err) {
      if (await this.accounts.existsBy({ login: input.login })) throw new DomainError('login_taken', `login ${input.login} is taken`);
      throw err;
    }
    return account;
  }

  findByLogin(login: string): Promise<Account | null> {
    return this.accounts.findOneBy({ login });
  }

  async get(id: string): Promise<Account> {
    const account = await this.accounts.findOneBy({ id });
    if (!account) throw new DomainError('not_found', 'no such account');
    return account;
  }

  async list(offset: number, limit: number, status?: AccountStatus): Promise<{ items: Account[]; total: number }> {
    const [items, total] = await this.accounts.findAndCount({ where: status ? { status } : {}, order: { login: 'ASC' }, skip: offset, take: limit });
    return { items, total };
  }

  async setStatus(id: string, status: AccountStatus): Promise<Account> {
    const account = await this.get(id);
    if (account.status !== status) {
      await this.accounts.update({ id }, { status, updatedAt: new Date() });
      account.status = status;
      await this.credentialEvents.changed(account.login);
    }
    return account;
  }

  async delete(id: string): Promise<Account> {
    const account = await this.get(id);
    await this.accounts.delete({ id });
    await this.credentialEvents.changed(account.login);
    return account;
  }

  /** Changes the login password after checking the current one. */
  async changePassword(id: string, current: string, next: string): Promise<void> {
    const account = await this.get(id);
    if (!(await this.hasher.verify(account.passwordHash, current))) throw new DomainError('invalid_credentials', 'current password is wrong');
    const connection = await this.dataSource.getRepository(AppConnection).findOneBy({ accountId: id });
    await this.accounts.update(
      { id },
      {
        passwordHash: await this.hasher.hash(next),
        passwordBox: connection?.state === 'legacy' ? this.keys.secretBox.seal(next) : null,
        updatedAt: new Date(),
      },
    );
    await this.credentialEvents.changed(account.login);
  }

  /** Replaces a hash made with older argon2 parameters, after a successful verification. */
  async rehashIfNeeded(account: Account, password: string): Promise<void> {
    if (!this.hasher.needsRehash(account.passwordHash)) return;
    await this.accounts.update({ id: account.id }, { passwordHash: await this.hasher.hash(password) });
  }
}
