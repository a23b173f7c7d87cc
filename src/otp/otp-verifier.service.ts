import { Inject, Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
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
 * credential — a sublogin's password; an account's issued app-connection password, or its login
 * password while `legacy` — read back from its secret-box copy. Accepted at most once (the replay
 * claim is the verification's last step). What follows (audit, throttle count) is described in the
 * answer for the access pipeline's AuthOutcome.
 */
@Injectable()
export class OtpVerifier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accounts: AccountsService,
    private readonly connections: AppConnectionService,
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
    // Unknown logins still cost the MAC computations of a known one.
    const verified = verifyAsSentOrPlus(otp, found?.secret ?? 'portcullis-no-such-login');
    if (!found || !verified) {
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
    return { principal: found.principal, verification: { audit: { type: 'auth.otp', login } } };
  }

  /** The principal and the plain secret the OTP's MAC is made with, or null. */
  private async resolve(login: string): Promise<{ principal: Principal; secret: string } | null> {
    const generation = this.cache.generation();
    let found: SealedCredential | null | undefined = this.cache.get(login);
    if (found === undefined) {
      found = await this.load(login);
      // Tagged with the login and its customer's: any credential change drops it (CredentialEvents).
      if (found) this.cache.set(login, found, [login, found.principal.account.login], generation);
    }
    if (!found) return null;
    const secret = found.box && this.keys.secretBox.open(found.box);
    return secret === null ? null : { principal: found.principal, secret };
  }

  /** The principal and the sealed secret, from the database. */
  private async load(login: string): Promise<SealedCredential | null> {
    if (login.includes('-')) {
      const found = await this.sublogins.findForAuth(login);
      if (!found || !found.sublogin.enabled || found.customer.status !== 'active' || !found.sublogin.passwordBox) return null;
      const { sublogin, customer } = found;
      return {
        box: this.keys.secretBox.parse(sublogin.passwordBox!),
        principal: { method: 'otp', account: { id: customer.id, login: customer.login, role: 'user' }, sublogin: { id: sublogin.id, login: sublogin.login, name: sublogin.name }, application: null, scopes: null },
      };
    }
    const account = await this.accounts.findByLogin(login);
    if (!account || account.status !== 'active') return null;
    const connection = await this.connections.find(account.id);
    // OTP takes the same secret as Basic; a `disabled` connection has none.
    const box = connection?.state === 'issued' ? connection.passwordBox : connection?.state === 'legacy' ? account.passwordBox : null;
    if (!box) return null;
    return { box: this.keys.secretBox.parse(box), principal: { method: 'otp', account: { id: account.id, login: account.login, role: account.role }, sublogin: null, application: null, scopes: null } };
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
}

/** Told to every caller whose OTP does not verify, whoever the login is. */
const INVALID_OTP =
  "invalid one-time password (AUTH is hex MD5 of EXPIRE:SALT:PASSWORD or hex HMAC-SHA256 keyed with PASSWORD of EXPIRE:SALT, PASSWORD being the login's Basic password: a sublogin's own, or the account's external application connection password)";

const messages = {
  otp_malformed: 'the one-time password is not LOGIN:EXPIRE:SALT:AUTH',
  otp_expired: 'the one-time password has expired',
  otp_too_long: `the one-time password's EXPIRE is further ahead than OTP_MAX_TTL allows`,
} as const;
