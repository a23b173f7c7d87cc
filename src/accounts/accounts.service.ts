import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, type Repository } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { Account, type AccountRole, type AccountStatus } from './account.entity.js';
import { AppConnection } from './app-connection.entity.js';
import { type AppConnectionState, initialAppConnectionState } from './core/app-connection.js';

export const ACCOUNT_LOGIN_PATTERN = /^[a-z0-9][a-z0-9_.]{2,31}$/;

export interface NewAccount {
  login: string;
  password: string;
  email: string;
  role?: AccountRole;
  /** For imports: when the customer really registered; decides the legacy Basic state. */
  registeredAt?: Date;
}

/** An imported account (operator CLI): a plain password, hashed here, or an argon2id hash stored as it is. */
export interface ImportedAccount {
  login: string;
  email: string;
  registeredAt: Date;
  password?: string;
  passwordHash?: string;
}

export interface ImportedAccountResult {
  account: Account;
  state: AppConnectionState;
}

/** Passwords hashed at once during an import (argon2id takes a libuv thread and 19 MiB each). */
const IMPORT_HASH_CONCURRENCY = 2;
/** Rows per INSERT of an import: well under SQLite's and PostgreSQL's bound-parameter limits. */
const IMPORT_CHUNK = 500;

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
    const { account, state } = await this.build({ ...input, registeredAt: input.registeredAt ?? now }, now);
    try {
      await this.dataSource.transaction(async (m) => {
        await m.insert(Account, account);
        await m.insert(AppConnection, newConnection(account.id, state, now));
      });
    } catch (err) {
      if (await this.accounts.existsBy({ login: input.login })) throw new DomainError('login_taken', `login ${input.login} is taken`);
      throw err;
    }
    return account;
  }

  /**
   * Imports accounts in one transaction: all of them, or none when any insert fails (a login
   * taken meanwhile: `login_taken`, naming them). Callers validate the rows first (src/cli/).
   * A legacy account imported from a hash gets no secret-box copy of its password (there is no
   * password to seal), so OTP with its login password works only once the password is set again.
   */
  async createMany(inputs: readonly ImportedAccount[]): Promise<ImportedAccountResult[]> {
    for (const input of inputs) {
      if (!ACCOUNT_LOGIN_PATTERN.test(input.login)) throw new DomainError('validation_failed', `login ${input.login} must match ^[a-z0-9][a-z0-9_.]{2,31}$`);
    }
    const now = new Date();
    const built: ImportedAccountResult[] = [];
    for (let i = 0; i < inputs.length; i += IMPORT_HASH_CONCURRENCY) {
      built.push(...(await Promise.all(inputs.slice(i, i + IMPORT_HASH_CONCURRENCY).map((input) => this.build(input, now)))));
    }
    try {
      await this.dataSource.transaction(async (m) => {
        for (let i = 0; i < built.length; i += IMPORT_CHUNK) {
          const chunk = built.slice(i, i + IMPORT_CHUNK);
          await m.insert(Account, chunk.map((b) => b.account));
          await m.insert(AppConnection, chunk.map((b) => newConnection(b.account.id, b.state, now)));
        }
      });
    } catch (err) {
      const taken = await this.takenLogins(inputs.map((i) => i.login));
      if (taken.length) throw new DomainError('login_taken', `login${taken.length > 1 ? 's' : ''} ${taken.join(', ')} taken meanwhile`);
      throw err;
    }
    return built;
  }

  /** Which of these logins exist already. */
  async takenLogins(logins: readonly string[]): Promise<string[]> {
    const taken: string[] = [];
    for (let i = 0; i < logins.length; i += IMPORT_CHUNK) {
      const found = await this.accounts.find({ select: { login: true }, where: { login: In(logins.slice(i, i + IMPORT_CHUNK)) } });
      taken.push(...found.map((a) => a.login));
    }
    return taken;
  }

  findByLogin(login: string): Promise<Account | null> {
    return this.accounts.findOneBy({ login });
  }

  findById(id: string): Promise<Account | null> {
    return this.accounts.findOneBy({ id });
  }

  exists(id: string): Promise<boolean> {
    return this.accounts.existsBy({ id });
  }

  /** Account id → login, for the ids that exist. */
  async loginsOf(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const found = await this.accounts.find({ select: { id: true, login: true }, where: { id: In([...new Set(ids)]) } });
    return new Map(found.map((a) => [a.id, a.login]));
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

  /**
   * After a successful verification of the login password: a hash made otherwise than today's
   * (older argon2 parameters, or bcrypt from an import) is replaced by argon2id, and a legacy
   * account imported from a hash gets the secret-box copy OTP needs, now that the password is
   * known. `legacy`: the caller knows the app-connection state (Basic does); else it is read.
   */
  async rehashIfNeeded(account: Account, password: string, legacy?: boolean): Promise<void> {
    const rehash = this.hasher.needsRehash(account.passwordHash);
    const seal = account.passwordBox === null && (legacy ?? (await this.dataSource.getRepository(AppConnection).findOneBy({ accountId: account.id }))?.state === 'legacy');
    if (!rehash && !seal) return;
    await this.accounts.update(
      { id: account.id },
      { ...(rehash ? { passwordHash: await this.hasher.hash(password) } : {}), ...(seal ? { passwordBox: this.keys.secretBox.seal(password) } : {}) },
    );
    // OTP's caches hold "no secret" for this login until told.
    if (seal) await this.credentialEvents.changed(account.login);
  }

  /** The row of a new account: its password hashed (or its imported hash), and its app-connection state. */
  private async build(input: { login: string; email: string; registeredAt: Date; role?: AccountRole; password?: string; passwordHash?: string }, now: Date): Promise<ImportedAccountResult> {
    const state = initialAppConnectionState(input.registeredAt, this.config.legacyBasicCutoff);
    const passwordHash = input.password !== undefined ? await this.hasher.hash(input.password) : input.passwordHash;
    if (passwordHash === undefined) throw new DomainError('validation_failed', 'a password or a password hash is required');
    const account = this.accounts.create({
      id: randomUUID(),
      login: input.login,
      email: input.email,
      passwordHash,
      // Only a legacy account's login password is ever needed in the clear (for OTP).
      passwordBox: state === 'legacy' && input.password !== undefined ? this.keys.secretBox.seal(input.password) : null,
      role: input.role ?? 'user',
      status: 'active',
      registeredAt: input.registeredAt,
      createdAt: now,
      updatedAt: now,
    });
    return { account, state };
  }
}

function newConnection(accountId: string, state: AppConnectionState, now: Date): AppConnection {
  return { accountId, state, issuedAt: null, lastUsedAt: null, lastUsedIp: null, updatedAt: now };
}
