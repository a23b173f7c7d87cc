import { Inject, Injectable } from '@nestjs/common';
import type { Account } from '../accounts/account.entity.js';
import { AccountsService } from '../accounts/accounts.service.js';
import type { AppConnection } from '../accounts/app-connection.entity.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import type { AppPassword } from '../accounts/app-password.entity.js';
import { AppPasswordService } from '../accounts/app-password.service.js';
import { appPasswordLimits, parseStoredRules } from '../accounts/core/app-password.js';
import { basicPasswordKind } from '../accounts/core/app-connection.js';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
import { subloginLimits } from '../accounts/sublogin.entity.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { DomainError } from '../errors/domain-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type { Principal } from './principal.js';
import type { RequestMeta } from './request-meta.js';
import { ThrottleService } from './throttle.service.js';
import { CredentialRefused, type LastUse, type LoginOwner, type Verification } from './verification.js';
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

/** A Basic credential as sent: the parsed user-id and password, and the header (the verification cache's key). */
export interface BasicCredential {
  login: string;
  password: string;
  header: string;
}

/**
 * Told to every caller whose Basic credential is wrong, whoever they are: which password Basic
 * takes, nothing about the login sent (an attacker learns nothing about which accounts exist).
 */
const INVALID_BASIC =
  "invalid login or password (Basic takes a sublogin's own password as CUSTOMER-NAME, or one of the account's app passwords, each shown once in MyPage; the login password only for accounts imported as legacy)";

/**
 * Verifies a Basic credential (contract §4.1–4.2): a sublogin with its own password, or an account
 * through its external application connection. Throttled before; what follows (audit, throttle
 * count, cache fill, last use) is described in the answer for the access pipeline's AuthOutcome.
 * Every failure answers `invalid_credentials`, except `basic_disabled`, which is told only to
 * someone who proved they know the login password.
 */
@Injectable()
export class BasicVerifier {
  constructor(
    private readonly accounts: AccountsService,
    private readonly connections: AppConnectionService,
    private readonly appPasswords: AppPasswordService,
    private readonly sublogins: SubloginLookup,
    private readonly hasher: PasswordHasher,
    private readonly cache: VerificationCache,
    private readonly throttle: ThrottleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The principal and what to record of it, or CredentialRefused. */
  async verify(credential: BasicCredential, origin: Pick<RequestMeta, 'ip'>): Promise<{ principal: Principal; verification: Verification }> {
    const { login, password } = credential;
    try {
      await this.throttle.check(login, origin);
    } catch (err) {
      throw new CredentialRefused(err, { login });
    }
    const generation = this.cache.generation();
    const result = login.includes('-') ? await this.verifySublogin(login, password) : await this.verifyAccount(login, password);
    if ('code' in result) {
      throw new CredentialRefused(new DomainError(result.code, result.message ?? INVALID_BASIC), {
        login,
        owner: result.owner,
        wrongSecret: password,
        audit: { type: 'auth.basic', code: result.code, login, accountId: result.owner?.id ?? null, counted: ['repeats', 'credential'], every: 'doubling' },
      });
    }
    return {
      principal: result.principal,
      verification: {
        // Which app password, by name (never the secret): what the owner recognises in the log.
        audit: { type: 'auth.basic', login, ...(result.principal.appPassword ? { detail: { appPassword: result.principal.appPassword.name } } : {}) },
        // Remembered under the header as sent, where the next request's cache look-up finds it.
        remember: { cache: 'verification', key: this.cache.key('basic', credential.header), tags: result.logins, generation },
        lastUse: basicLastUse(result.principal),
      },
    };
  }

  private async verifyAccount(login: string, password: string): Promise<Verified | Refused> {
    const account = await this.accounts.findByLogin(login);
    const connection = account ? await this.connections.find(account.id) : null;
    const kind = connection ? basicPasswordKind(connection.state) : null;
    // `issued`: the app password whose look-up HMAC matches (one indexed query), its argon2id
    // still verified; none found costs the same dummy verification as an unknown login.
    // `disabled` is checked against the login password, so only its owner learns why Basic fails.
    const appPassword = kind === 'issued' ? await this.appPasswords.candidateFor(account!.id, password) : null;
    const hash = kind === 'issued' ? appPassword?.passwordHash : account?.passwordHash;
    const ok = await this.hasher.verifyOrDummy(hash, password);
    if (!account || !ok || account.status !== 'active') return { code: 'invalid_credentials', owner: account && { id: account.id, login: account.login } };
    // Only the owner (who just proved the login password) learns why, and what to do.
    if (kind === null) return { code: 'basic_disabled', owner: { id: account.id, login: account.login }, message: this.basicDisabled(account, connection) };
    // A legacy account's login password: an imported or older hash is replaced now (once), while
    // the plain password is at hand; it never leaves this check.
    if (kind === 'login') await this.accounts.rehashIfNeeded(account, password, true);
    const principal: Principal = { method: 'basic', account: { id: account.id, login: account.login, role: account.role }, sublogin: null, application: null, scopes: null };
    if (appPassword) {
      // A migrated password learns its look-up HMAC now that the plain password is at hand.
      await this.appPasswords.rememberLookup(appPassword, password);
      Object.assign(principal, appPasswordPrincipalParts(appPassword));
    }
    return { principal, logins: [account.login] };
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
    const found = await this.sublogins.findForAuth(login);
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
        // Checked on every request, cached or not, by the access pipeline's LimitsStep.
        limits: subloginLimits(sublogin),
      },
      logins: [sublogin.login, customer.login],
    };
  }
}

/** The credential a Basic principal used: the sublogin's password, the account's app password, or its login password (legacy). */
export function basicLastUse(principal: Principal): LastUse {
  if (principal.sublogin) return { kind: 'sublogin', id: principal.sublogin.id };
  if (principal.appPassword) return { kind: 'app-password', id: principal.appPassword.id };
  return { kind: 'app-connection', id: principal.account.id };
}

/**
 * What a principal authenticated with this app password carries (Basic and OTP alike): which one
 * it was, its rules for the ACL, and its limits for the access pipeline's limits step, which
 * checks them on every request, from a cache or not (contract §4.7).
 */
export function appPasswordPrincipalParts(p: AppPassword): Pick<Principal, 'appPassword' | 'limits'> {
  const limits = appPasswordLimits(p);
  return { appPassword: { id: p.id, name: p.name, rules: parseStoredRules(p.rules) }, ...(limits ? { limits: [limits] } : {}) };
}
