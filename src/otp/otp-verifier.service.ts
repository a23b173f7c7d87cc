import { Inject, Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import { AppPasswordService } from '../accounts/app-password.service.js';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
import { subloginLimits } from '../accounts/sublogin.entity.js';
import { appPasswordPrincipalParts } from '../auth/basic-verifier.service.js';
import type { Principal } from '../auth/principal.js';
import type { RequestMeta } from '../auth/request-meta.js';
import { ThrottleService } from '../auth/throttle.service.js';
import { CredentialRefused, type LoginOwner, type Verification } from '../auth/verification.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { KeyRing, type ParsedBox } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { TaggedCache } from '../shared-state/tagged-cache.js';
import { checkOtpTime, OtpError, otpReplayKey, type ParsedOtp, parseOtp, verifyAsSentOrPlus } from './core/otp-token.js';
import { OtpReplayStore } from './otp-replay.store.js';

/**
 * One-time passwords `LOGIN:EXPIRE:SALT:AUTH` (contract §4.5). The secret is the login's Basic
 * credential — a sublogin's password; any of an account's app passwords, or its login password
 * while `legacy` — read back from its secret-box copy. Accepted at most once (the replay
 * claim is the verification's last step). What follows (audit, throttle count) is described in the
 * answer for the access pipeline's AuthOutcome.
 */
@Injectable()
export class OtpVerifier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accounts: AccountsService,
    private readonly connections: AppConnectionService,
    private readonly appPasswords: AppPasswordService,
    private readonly sublogins: SubloginLookup,
    private readonly keys: KeyRing,
    private readonly throttle: ThrottleService,
    private readonly replay: OtpReplayStore,
    credentialEvents: CredentialEvents,
  ) {
    // Fails closed while broadcasts may go unheard (see TaggedCache).
    this.cache = new TaggedCache(config.verifyCacheTtlSeconds * 1000, undefined, credentialEvents);
    credentialEvents.onChange((login) => this.cache.dropTag(login));
  }

  /** Who a login is and its sealed secret, so an OTP costs no database read but the replay claim. */
  private readonly cache: TaggedCache<SealedCredential>;

  /** The principal and what to record of it, or CredentialRefused. */
  async verify(raw: unknown, origin: Pick<RequestMeta, 'ip'>): Promise<{ principal: Principal; verification: Verification }> {
    let otp: ParsedOtp | undefined;
    try {
      if (typeof raw !== 'string') throw new OtpError('otp_malformed', 'otp must be one text value');
      otp = parseOtp(raw);
      checkOtpTime(otp, Math.floor(Date.now() / 1000), this.config.otpMaxTtlSeconds);
    } catch (err) {
      const refusal = err instanceof OtpError ? new DomainError(err.code, messages[err.code]) : err;
      // Expired or too long: the login parsed, so the failure is counted for its customer (statistics).
      throw otp ? new CredentialRefused(refusal, { login: otp.login }) : refusal;
    }
    const { login } = otp;
    try {
      await this.throttle.check(login, origin);
    } catch (err) {
      throw new CredentialRefused(err, { login });
    }
    const found = await this.resolve(login);
    // Unknown logins still cost the MAC computations of a known one. An account's app passwords
    // are each tried, all of them, so the time says nothing about which one matched.
    let verified: ParsedOtp | null = null;
    let principal: Principal | undefined;
    for (const candidate of found?.candidates ?? [{ principal: undefined, secret: 'portcullis-no-such-login' }]) {
      const match = verifyAsSentOrPlus(otp, candidate.secret);
      if (match && !verified) [verified, principal] = [match, candidate.principal];
    }
    if (!found || !verified || !principal) {
      const accountId = found?.principal.account.id ?? null;
      // Not found may also be a disabled sublogin or a suspended customer: whose it is, is left to the outcome's memory.
      throw new CredentialRefused(new DomainError('invalid_credentials', INVALID_OTP), {
        login,
        owner: found ? ownerOf(found.principal) : undefined,
        wrongSecret: otp.auth,
        audit: { type: 'auth.otp', code: 'invalid_credentials', login, accountId, counted: ['repeats'], every: 'refusal' },
      });
    }
    // Valid through its EXPIRE second (checkOtpTime), so claimed until that second's end. Keyed by
    // the spelling that verified: a token sent with `+` and again with spaces is one token.
    const owner = ownerOf(found.principal);
    let claimed: boolean;
    try {
      claimed = await this.replay.claim(otpReplayKey(verified), new Date((otp.expire + 1) * 1000));
    } catch (err) {
      throw new CredentialRefused(err, { login, owner });
    }
    if (!claimed) {
      throw new CredentialRefused(new DomainError('otp_replayed', 'this one-time password was used already'), {
        login,
        owner,
        audit: { type: 'auth.otp', code: 'otp_replayed', login, accountId: owner.id, every: 'refusal' },
      });
    }
    // An app password's list shows its last use, by Basic or OTP alike.
    const lastUse = principal.appPassword ? { lastUse: { kind: 'app-password' as const, id: principal.appPassword.id } } : {};
    return { principal, verification: { audit: { type: 'auth.otp', login }, ...lastUse } };
  }

  /**
   * The login's principal and the plain secrets the OTP's MAC may be made with (an account's app
   * passwords: one each, with the principal that password gives), or null.
   */
  private async resolve(login: string): Promise<{ principal: Principal; candidates: { principal: Principal; secret: string }[] } | null> {
    const generation = this.cache.generation();
    let found: SealedCredential | null | undefined = this.cache.get(login);
    if (found === undefined) {
      found = await this.load(login);
      // Tagged with the login and its customer's: any credential change drops it (CredentialEvents).
      if (found) this.cache.set(login, found, [login, found.principal.account.login], generation);
    }
    if (!found) return null;
    const candidates: { principal: Principal; secret: string }[] = [];
    for (const sealed of found.alternatives ?? [found]) {
      const secret = sealed.box && this.keys.secretBox.open(sealed.box);
      if (secret !== null) candidates.push({ principal: sealed.principal, secret });
    }
    return candidates.length ? { principal: found.principal, candidates } : null;
  }

  /** The principal and the sealed secret, from the database. */
  private async load(login: string): Promise<SealedCredential | null> {
    if (login.includes('-')) {
      const found = await this.sublogins.findForAuth(login);
      if (!found || !found.sublogin.enabled || found.customer.status !== 'active' || !found.sublogin.passwordBox) return null;
      const { sublogin, customer } = found;
      return {
        box: this.keys.secretBox.parse(sublogin.passwordBox!),
        principal: {
          method: 'otp',
          account: { id: customer.id, login: customer.login, role: 'user' },
          sublogin: { id: sublogin.id, login: sublogin.login, name: sublogin.name },
          application: null,
          scopes: null,
          limits: subloginLimits(sublogin),
        },
      };
    }
    const account = await this.accounts.findByLogin(login);
    if (!account || account.status !== 'active') return null;
    const connection = await this.connections.find(account.id);
    const principal: Principal = { method: 'otp', account: { id: account.id, login: account.login, role: account.role }, sublogin: null, application: null, scopes: null };
    // OTP takes the same secrets as Basic: a legacy account's login password, an issued one's app
    // passwords (any of them; the principal carries that one's rules and limits); a `disabled` connection has none.
    if (connection?.state === 'legacy') return account.passwordBox ? { box: this.keys.secretBox.parse(account.passwordBox), principal } : null;
    if (connection?.state !== 'issued') return null;
    const alternatives = (await this.appPasswords.allOf(account.id)).map((p) => ({ box: this.keys.secretBox.parse(p.passwordBox), principal: { ...principal, ...appPasswordPrincipalParts(p) } }));
    return alternatives.length ? { box: null, principal, alternatives } : null;
  }
}

/** The customer a principal acts for (a sublogin's customer), for the statistics of its failures. */
function ownerOf(principal: Principal): LoginOwner {
  return { id: principal.account.id, login: principal.account.login };
}

interface SealedCredential {
  principal: Principal;
  /**
   * Secret-box copy of the login's Basic secret, its parts decoded (null: a box under a retired
   * key, which opens to nothing); opened per request, never cached in the clear.
   */
  box: ParsedBox | null;
  /** An issued account's app passwords, each with the principal it gives (tried all; `box` then unused). */
  alternatives?: readonly { box: ParsedBox | null; principal: Principal }[];
}

/** Told to every caller whose OTP does not verify, whoever the login is. */
const INVALID_OTP =
  "invalid one-time password (AUTH is hex MD5 of EXPIRE:SALT:PASSWORD or hex HMAC-SHA256 keyed with PASSWORD of EXPIRE:SALT, PASSWORD being the login's Basic password: a sublogin's own, or any of the account's app passwords)";

const messages = {
  otp_malformed: 'the one-time password is not LOGIN:EXPIRE:SALT:AUTH',
  otp_expired: 'the one-time password has expired',
  otp_too_long: `the one-time password's EXPIRE is further ahead than OTP_MAX_TTL allows`,
} as const;
