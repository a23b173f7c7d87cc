import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, IsNull, Not } from 'typeorm';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { AppConnection } from './app-connection.entity.js';
import { AppPassword } from './app-password.entity.js';
import { generateAppPassword } from './core/app-connection.js';
import { type AppPasswordRule, DEFAULT_APP_PASSWORD_NAME, MAX_APP_PASSWORDS } from './core/app-password.js';

/** What a new app password is limited by; each part validated by the caller (mypage's app-password input). */
export interface AppPasswordSpec {
  name: string;
  expiresAt: Date | null;
  /** Normalised CIDR ranges; null or empty: any address. */
  allowedRanges: string[] | null;
  /** Canonical rules in the sublogin syntax; null: the account's full rights. */
  rules: AppPasswordRule[] | null;
}

export const UNLIMITED: Omit<AppPasswordSpec, 'name'> = { expiresAt: null, allowedRanges: null, rules: null };

/** KeyRing HMAC purpose of the look-up column. */
const LOOKUP_PURPOSE = 'app-password';

/**
 * An account's app passwords (contract §4.2): issued, listed, revoked; found for Basic by the
 * HMAC of the password sent (one indexed query, then argon2id), and read back for OTP from their
 * secret boxes. Every change announces the account's login (CredentialEvents), so every
 * instance's caches drop what they verified with it.
 */
@Injectable()
export class AppPasswordService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly keys: KeyRing,
    private readonly credentialEvents: CredentialEvents,
  ) {}

  /**
   * Issues another app password for an account whose connection is `issued` (else
   * `409 app_connection_conflict`); `409 conflict` when the name is taken. The password is in
   * this answer only.
   */
  async create(account: { id: string; login: string }, spec: AppPasswordSpec): Promise<{ appPassword: AppPassword; password: string }> {
    const issued = await this.dataSource.transaction(async (m) => {
      // A disable committed between this read and the insert would leave a row behind: harmless,
      // as Basic and OTP take app passwords only while the connection is issued, and enable and
      // reissue delete every row before issuing.
      const connection = await m.findOneBy(AppConnection, { accountId: account.id });
      if (connection?.state !== 'issued') {
        throw new DomainError('app_connection_conflict', `app passwords are issued only while the app connection is issued (it is ${connection?.state ?? 'missing'}): enable or reissue it first`);
      }
      if ((await m.countBy(AppPassword, { accountId: account.id })) >= MAX_APP_PASSWORDS) {
        throw new DomainError('conflict', `an account holds at most ${MAX_APP_PASSWORDS} app passwords: revoke one first`);
      }
      if (await m.existsBy(AppPassword, { accountId: account.id, name: spec.name })) throw nameTaken(spec.name);
      return this.insert(m, account.id, spec);
    });
    await this.credentialEvents.changed(account.login);
    return issued;
  }

  /**
   * Inserts a new password in `m`'s transaction; the caller announces the change. Used by
   * `create` and by the connection's enable/reissue (after `revokeAllIn`).
   */
  async insert(m: EntityManager, accountId: string, spec: AppPasswordSpec): Promise<{ appPassword: AppPassword; password: string }> {
    const password = generateAppPassword();
    const appPassword: AppPassword = {
      id: randomUUID(),
      accountId,
      name: spec.name,
      lookup: this.lookupOf(password),
      passwordHash: await this.hasher.hash(password),
      passwordBox: this.keys.secretBox.seal(password),
      expiresAt: spec.expiresAt,
      allowedRanges: spec.allowedRanges?.length ? spec.allowedRanges : null,
      rules: spec.rules === null ? null : JSON.stringify(spec.rules),
      createdAt: new Date(),
      lastUsedAt: null,
      lastUsedIp: null,
    };
    try {
      await m.insert(AppPassword, appPassword);
    } catch (err) {
      // Two creations with one name at once: the unique index decides.
      if (isUniqueViolation(err)) throw nameTaken(spec.name);
      throw err;
    }
    return { appPassword, password };
  }

  /** The connection's own issuance: every app password goes, one new unlimited one replaces them. */
  async replaceAllIn(m: EntityManager, accountId: string): Promise<{ appPassword: AppPassword; password: string }> {
    await this.revokeAllIn(m, accountId);
    return this.insert(m, accountId, { name: DEFAULT_APP_PASSWORD_NAME, ...UNLIMITED });
  }

  /** Deletes every app password of the account in `m`'s transaction; the caller announces the change. */
  async revokeAllIn(m: EntityManager, accountId: string): Promise<void> {
    await m.delete(AppPassword, { accountId });
  }

  /** The account's app passwords, newest first (secrets stay in the rows; callers show none of them). */
  list(accountId: string): Promise<AppPassword[]> {
    return this.dataSource.getRepository(AppPassword).find({ where: { accountId }, order: { createdAt: 'DESC', name: 'ASC' } });
  }

  /** Revokes one: it stops working at once on every instance. `404 not_found` if the account has no such password. */
  async revoke(account: { id: string; login: string }, id: string): Promise<AppPassword> {
    const repo = this.dataSource.getRepository(AppPassword);
    const found = await repo.findOneBy({ id, accountId: account.id });
    if (!found) throw new DomainError('not_found', 'no app password with this id');
    await repo.delete({ id, accountId: account.id });
    await this.credentialEvents.changed(account.login);
    return found;
  }

  /**
   * The row Basic verifies `password` against, in one query: the one whose look-up HMAC matches,
   * or else the account's migrated password (look-up not yet known). The caller still checks its
   * argon2id hash; null when there is no candidate (the caller then verifies a dummy).
   */
  async candidateFor(accountId: string, password: string): Promise<AppPassword | null> {
    const rows = await this.dataSource.getRepository(AppPassword).find({
      where: [
        { accountId, lookup: this.lookupOf(password) },
        { accountId, lookup: IsNull() },
      ],
      take: 2,
    });
    return rows.find((r) => r.lookup !== null) ?? rows[0] ?? null;
  }

  /** After a migrated password verified: its look-up HMAC, so the next Basic finds it by index. */
  async rememberLookup(row: AppPassword, password: string): Promise<void> {
    if (row.lookup !== null) return;
    await this.dataSource.getRepository(AppPassword).update({ id: row.id, lookup: IsNull() }, { lookup: this.lookupOf(password) });
  }

  /** The account's most recently used app password, or null when none was ever used. */
  lastUsed(accountId: string): Promise<AppPassword | null> {
    return this.dataSource.getRepository(AppPassword).findOne({ where: { accountId, lastUsedAt: Not(IsNull()) }, order: { lastUsedAt: 'DESC' } });
  }

  /** Every app password of the account, for OTP (which tries each one's secret box). */
  allOf(accountId: string): Promise<AppPassword[]> {
    return this.dataSource.getRepository(AppPassword).find({ where: { accountId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  private lookupOf(password: string): string {
    return this.keys.hmac(LOOKUP_PURPOSE, password);
  }
}

function nameTaken(name: string): DomainError {
  return new DomainError('conflict', `an app password named "${name}" exists already`);
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT';
}
