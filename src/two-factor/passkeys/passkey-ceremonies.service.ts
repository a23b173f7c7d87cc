import { Inject, Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { type AuditOrigin, AuditService } from '../../audit/audit.service.js';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../../config/app-config.token.js';
import { DomainError } from '../../errors/domain-error.js';
import type { Passkey } from './passkey.entity.js';
import { credentialOf, passkeyFromRegistration, passkeyName, transportsOf } from './passkey-mapping.js';
import { MAX_PASSKEYS_PER_ACCOUNT, PasskeyStore } from './passkey-store.js';
import { type ChallengePurpose, CHALLENGE_TTL_MS, WebAuthnChallenges } from './webauthn-challenges.js';

/** The account a ceremony is for: its id is the WebAuthn user handle (no personal data), its login the name shown. */
export interface PasskeyOwner {
  id: string;
  login: string;
}

/** How a passkey is used to sign in: after the password, or alone (it verified its user). */
export type PasskeyUse = 'second-factor' | 'sign-in';

/**
 * The WebAuthn ceremonies (@simplewebauthn/server) for passkeys: registration, and assertion as
 * a second factor or as a whole sign-in. The relying party is PUBLIC_URL: its host is the RP id,
 * its origin the only origin accepted. Every challenge is bound to the session or sign-in attempt
 * it was issued to (`binding`), lives 5 minutes and is accepted once (WebAuthnChallenges).
 * Callers decide who may start a ceremony; this decides whether its answer holds, and audits it.
 */
@Injectable()
export class PasskeyCeremonies {
  readonly rpId: string;
  readonly origin: string;

  constructor(
    private readonly store: PasskeyStore,
    private readonly challenges: WebAuthnChallenges,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const url = new URL(config.publicUrl);
    this.rpId = url.hostname.replace(/^\[|\]$/g, '');
    this.origin = url.origin;
  }

  async registrationOptions(owner: PasskeyOwner, binding: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.store.listFor(owner.id);
    if (existing.length >= MAX_PASSKEYS_PER_ACCOUNT) throw new DomainError('conflict', `an account holds at most ${MAX_PASSKEYS_PER_ACCOUNT} passkeys; remove one first`);
    return generateRegistrationOptions({
      rpName: 'Portcullis',
      rpID: this.rpId,
      userName: owner.login,
      userDisplayName: owner.login,
      userID: userHandleBytes(owner.id),
      challenge: this.challenges.issue('register', binding),
      timeout: CHALLENGE_TTL_MS - 60_000,
      attestationType: 'none',
      // The same authenticator twice would be one factor counted twice.
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
      // Discoverable, so that it can also sign in alone ("Sign in with a passkey").
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
    });
  }

  /** Verifies a registration answer and stores the passkey under `name`; `passkey_refused` if it does not verify. */
  async register(owner: PasskeyOwner, binding: string, response: unknown, rawName: unknown, origin: AuditOrigin): Promise<Passkey> {
    const name = passkeyName(rawName);
    if (!name) throw new DomainError('validation_failed', 'name: 1 to 64 characters, no control characters');
    const refuse = (why: string): never => {
      this.audit.record({ type: 'passkey.register', outcome: 'failure', login: owner.login, accountId: owner.id, code: 'passkey_refused', detail: { reason: why.slice(0, 200) }, origin });
      throw new DomainError('passkey_refused', `the passkey could not be registered: ${why}`);
    };
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: (c) => this.challenges.valid(c, 'register', binding),
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: false,
      });
    } catch (err) {
      return refuse(reasonOf(err));
    }
    if (!verified.verified) return refuse('the attestation did not verify');
    if (!(await this.challenges.claim(challengeOf(response)))) return refuse('the challenge was used already');
    if (await this.store.findByCredentialId(verified.registrationInfo.credential.id)) return refuse('this passkey is registered already');
    const transports = (response as RegistrationResponseJSON).response?.transports;
    let passkey: Passkey;
    try {
      passkey = await this.store.add(owner.id, { ...passkeyFromRegistration(verified.registrationInfo, Array.isArray(transports) ? transports : undefined), name });
    } catch {
      // The unique credential id, registered concurrently.
      return refuse('this passkey is registered already');
    }
    this.audit.record({
      type: 'passkey.register',
      outcome: 'success',
      login: owner.login,
      accountId: owner.id,
      detail: { passkey: passkey.id, name, deviceType: passkey.deviceType, backedUp: passkey.backedUp },
      origin,
    });
    return passkey;
  }

  /**
   * Options for an assertion. As a second factor, `accountId`'s passkeys are allowed; to sign in
   * alone, none are listed (the browser offers the discoverable ones) and the user must be verified.
   */
  async authenticationOptions(use: PasskeyUse, binding: string, accountId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allow = use === 'second-factor' && accountId ? await this.store.listFor(accountId) : [];
    return generateAuthenticationOptions({
      rpID: this.rpId,
      challenge: this.challenges.issue(purposeOf(use), binding),
      timeout: CHALLENGE_TTL_MS - 60_000,
      allowCredentials: allow.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
      userVerification: use === 'sign-in' ? 'required' : 'preferred',
    });
  }

  /**
   * Verifies an assertion: as a second factor it must be one of `accountId`'s passkeys; to sign in
   * alone, any account's, with its user verified. `invalid_credentials` otherwise, one answer for
   * every reason (unknown passkey, wrong signature, challenge, origin, counter), audited with it.
   */
  async authenticate(use: PasskeyUse, binding: string, response: unknown, origin: AuditOrigin, account?: PasskeyOwner): Promise<Passkey> {
    const id = typeof (response as { id?: unknown } | null)?.id === 'string' ? (response as { id: string }).id : '';
    const passkey = id ? await this.store.findByCredentialId(id) : null;
    const refuse = (why: string, p: Passkey | null = passkey): never => {
      this.audit.record({
        type: 'passkey.use',
        outcome: 'failure',
        login: account?.login ?? null,
        accountId: account?.id ?? p?.accountId ?? null,
        code: 'invalid_credentials',
        detail: { as: use, passkey: p?.id ?? null, reason: why.slice(0, 200) },
        origin,
      });
      throw new DomainError('invalid_credentials', 'the passkey was not accepted');
    };
    if (!passkey) return refuse('unknown passkey', null);
    if (account && passkey.accountId !== account.id) return refuse('a passkey of another account', null);
    const userHandle = (response as AuthenticationResponseJSON).response?.userHandle;
    if (userHandle && userHandle !== userHandleBytes(passkey.accountId).toString('base64url')) return refuse('user handle mismatch');
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: (c) => this.challenges.valid(c, purposeOf(use), binding),
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        credential: credentialOf(passkey),
        requireUserVerification: use === 'sign-in',
      });
    } catch (err) {
      return refuse(reasonOf(err));
    }
    if (!verified.verified) return refuse('the signature did not verify');
    if (!(await this.challenges.claim(challengeOf(response)))) return refuse('the challenge was used already');
    await this.store.recordUse(passkey, verified.authenticationInfo.newCounter, verified.authenticationInfo.credentialBackedUp);
    this.audit.record({
      type: 'passkey.use',
      outcome: 'success',
      login: account?.login ?? null,
      accountId: passkey.accountId,
      detail: { as: use, passkey: passkey.id, name: passkey.name },
      origin,
    });
    return passkey;
  }

  /** Renames one of the owner's passkeys; false when it has none by that id. */
  async rename(owner: PasskeyOwner, id: string, rawName: unknown, origin: AuditOrigin): Promise<boolean> {
    const name = passkeyName(rawName);
    if (!name) throw new DomainError('validation_failed', 'name: 1 to 64 characters, no control characters');
    const done = await this.store.rename(owner.id, id, name);
    if (done) this.audit.record({ type: 'passkey.rename', outcome: 'success', login: owner.login, accountId: owner.id, detail: { passkey: id, name }, origin });
    return done;
  }

  /** Removes one of the owner's passkeys; false when it has none by that id. */
  async remove(owner: PasskeyOwner, id: string, origin: AuditOrigin): Promise<boolean> {
    const passkey = await this.store.findOf(owner.id, id);
    if (!passkey || !(await this.store.remove(owner.id, id))) return false;
    this.audit.record({ type: 'passkey.remove', outcome: 'success', login: owner.login, accountId: owner.id, detail: { passkey: id, name: passkey.name }, origin });
    return true;
  }
}

function purposeOf(use: PasskeyUse): ChallengePurpose {
  return use === 'sign-in' ? 'sign-in' : 'second-factor';
}

/** The WebAuthn user handle of an account: its id (a random UUID, nothing personal). */
function userHandleBytes(accountId: string): Buffer<ArrayBuffer> {
  return Buffer.from(accountId, 'utf8') as Buffer<ArrayBuffer>;
}

/** The challenge the client data names (verified already by the ceremony). */
function challengeOf(response: unknown): string {
  const clientDataJSON = (response as { response?: { clientDataJSON?: unknown } }).response?.clientDataJSON;
  if (typeof clientDataJSON !== 'string') return '';
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' ? data.challenge : '';
  } catch {
    return '';
  }
}

/** The library's reason, for the audit log and the answer (it names no secret). */
function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : 'malformed response';
}
