import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import type { Repository } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { AppConnection } from '../accounts/app-connection.entity.js';
import { basicPasswordKind } from '../accounts/core/app-connection.js';
import { AuditService } from '../audit/audit.service.js';
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
}

/**
 * Verifies a Basic credential (SPEC §4.1–4.2): a sublogin with its own password, or an account
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
      const message = result.code === 'basic_disabled' ? 'Basic authentication is not enabled for this account (enable the app connection)' : 'invalid login or password';
      throw attributeFailure(new DomainError(result.code, message), login, result.owner);
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
    if (kind === null) return { code: 'basic_disabled', owner: { id: account.id, login: account.login } };
    return {
      principal: { method: 'basic', account: { id: account.id, login: account.login, role: account.role }, sublogin: null, application: null, scopes: null },
      logins: [account.login],
    };
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
