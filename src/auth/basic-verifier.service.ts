import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import type { Repository } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppConnection } from '../accounts/app-connection.entity.js';
import { basicPasswordKind } from '../accounts/core/app-connection.js';
import { AuditService } from '../audit/audit.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { DomainError } from '../errors/domain-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { attributeFailure, type LoginOwner } from './failure-owner.js';
import { LastUseService } from './last-use.service.js';
import type { Principal } from './principal.js';
import { SubloginLookup } from './sublogin-lookup.js';
import { ThrottleService } from './throttle.service.js';
import { VerificationCache } from './verification-cache.js';

interface Verified {
  principal: Principal;
  /** Logins whose change invalidates this verification. */
  logins: string[];
}

/** A refusal, with the customer the login belongs to (null: no such login) for audit and statistics. */
interface Refused {
  code: ErrorCode;
  owner: LoginOwner | null;
  /** What the caller is told; the default of its code when absent. */
  message?: string;
}

/**
 * Told to every caller whose Basic credential is wrong, whoever they are: which password Basic
 * takes, nothing about the login sent (an attacker learns nothing about which accounts exist).
 */
const INVALID_BASIC =
  "invalid login or password (Basic takes a sublogin's own password as CUSTOMER-NAME, or the account's external application connection password shown once in MyPage; the login password only for accounts imported as legacy)";

/**
 * Verifies a Basic credential (contract §4.1–4.2): a sublogin with its own password, or an account
 * through its external application connection. Throttled before, audited after, cached on
 * success. Every failure answers `invalid_credentials`, except `basic_disabled`, which is told
 * only to someone who proved they know the login password.
 */
@Injectable()
export class BasicVerifier {
  constructor(
    @InjectRepository(Account) private readonly accounts: Repository<Account>,
    @InjectRepository(AppConnection) private readonly connections: Repository<AppConnection>,
    private readonly hasher: PasswordHasher,
    private readonly cache: VerificationCache,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditService,
    private readonly lastUse: LastUseService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accountsService: AccountsService,
    @Optional() private readonly sublogins?: SubloginLookup,
  ) {}

  /**
   * The cached principal for this Authorization header, if it was verified recently and nothing
   * changed since. The hot path of every Basic request: one string hash and one Map probe.
   */
  cached(header: string, req: FastifyRequest): Principal | undefined {
    const principal = this.cache.get(this.cache.key('basic', header));
    if (principal) this.touch(principal, req);
    return principal;
  }

  async verify(login: string, password: string, req: FastifyRequest): Promise<Principal> {
    try {
      await this.throttle.check(login, req);
    } catch (err) {
      throw attributeFailure(err, login);
    }
    const generation = this.cache.generation();
    const result = login.includes('-') ? await this.verifySublogin(login, password) : await this.verifyAccount(login, password);
    if ('code' in result) {
      const failure = await this.throttle.recordFailure(login, password, req);
      // A stale client retrying one old password is logged at its 1st, 2nd, 4th, 8th… attempt, not each.
      if ((failure.repeats & (failure.repeats - 1)) === 0) {
        this.audit.record({ type: 'auth.basic', outcome: 'failure', login, accountId: result.owner?.id ?? null, code: result.code, detail: { repeats: failure.repeats, credential: failure.fingerprintId }, request: req });
      }
      throw attributeFailure(new DomainError(result.code, result.message ?? INVALID_BASIC), login, result.owner);
    }
    // Remembered under the header as sent, where the next request's `cached` looks.
    const header = req.headers.authorization;
    if (header) this.cache.set(this.cache.key('basic', header), result.principal, result.logins, generation);
    this.audit.record({ type: 'auth.basic', outcome: 'success', login, accountId: result.principal.account.id, request: req });
    this.touch(result.principal, req);
    return result.principal;
  }

  private async verifyAccount(login: string, password: string): Promise<Verified | Refused> {
    const account = await this.accounts.findOneBy({ login });
    const connection = account ? await this.connections.findOneBy({ accountId: account.id }) : null;
    const kind = connection ? basicPasswordKind(connection.state) : null;
    // `disabled` is checked against the login password, so only its owner learns why Basic fails.
    const hash = kind === 'issued' ? connection!.passwordHash : account?.passwordHash;
    const ok = await this.hasher.verifyOrDummy(hash, password);
    if (!account || !ok || account.status !== 'active') return { code: 'invalid_credentials', owner: account && { id: account.id, login: account.login } };
    // Only the owner (who just proved the login password) learns why, and what to do.
    if (kind === null) return { code: 'basic_disabled', owner: { id: account.id, login: account.login }, message: this.basicDisabled(account, connection) };
    // A legacy account's login password: an imported or older hash is replaced now (once).
    if (kind === 'login') await this.accountsService.rehashIfNeeded(account, password, true);
    return {
      principal: { method: 'basic', account: { id: account.id, login: account.login, role: account.role }, sublogin: null, application: null, scopes: null },
      logins: [account.login],
    };
  }

  /** Why Basic is off for this account, for its owner: a new account never enabled it, or it was disabled. */
  private basicDisabled(account: Account, connection: AppConnection | null): string {
    const cutoff = this.config.legacyBasicCutoff;
    if (account.registeredAt.getTime() >= cutoff.getTime() && !connection?.issuedAt) {
      return `Basic with the login password is off for accounts registered after ${cutoff.toISOString()}: enable the external application connection in MyPage (/mypage) and use the password it shows`;
    }
    return "this account's external application connection is disabled, so Basic is off: enable it in MyPage (/mypage) and use the password it shows";
  }

  private async verifySublogin(login: string, password: string): Promise<Verified | Refused> {
    const found = (await this.sublogins?.findForAuth(login)) ?? null;
    const ok = await this.hasher.verifyOrDummy(found?.sublogin.passwordHash, password);
    if (!found || !ok || !found.sublogin.enabled || found.customer.status !== 'active') {
      return { code: 'invalid_credentials', owner: found && { id: found.customer.id, login: found.customer.login } };
    }
    const { sublogin, customer } = found;
    return {
      principal: {
        method: 'basic',
        account: { id: customer.id, login: customer.login, role: 'user' },
        sublogin: { id: sublogin.id, login: sublogin.login, name: sublogin.name },
        application: null,
        scopes: null,
      },
      logins: [sublogin.login, customer.login],
    };
  }

  private touch(principal: Principal, req: FastifyRequest): void {
    if (principal.sublogin) this.lastUse.touch('sublogin', principal.sublogin.id, req.ip);
    else this.lastUse.touch('app-connection', principal.account.id, req.ip);
  }
}
