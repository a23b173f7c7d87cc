import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { TaggedCache } from '../shared-state/tagged-cache.js';

/** The customer a presented login belongs to: the account itself, or a sublogin's customer. */
export interface LoginOwner {
  id: string;
  login: string;
}

interface Attempt {
  /** The login the failed credential presented. */
  login: string;
  /**
   * Its customer as the verifier found it in its own look-up: an owner, null when it looked and
   * there is no such login, undefined when it failed before looking (throttled, expired OTP).
   */
  owner: LoginOwner | null | undefined;
}

/**
 * What a credential verifier knew when it refused, keyed by the error it threw: the guard counts
 * the failure for the login's customer (contract §7, `GET /api/stat/auth`). Kept beside the error,
 * never in it, so no response can show it.
 */
const attempts = new WeakMap<object, Attempt>();

/**
 * Notes on a refusal which login it presented and, when the verifier looked it up, whose it is.
 * Returns the error, for `throw attributeFailure(new DomainError(…), login, owner)`.
 */
export function attributeFailure<E>(err: E, login: string, owner?: LoginOwner | null): E {
  if (typeof err === 'object' && err !== null && !attempts.has(err)) attempts.set(err, { login, owner });
  return err;
}

/** Logins kept: an attacker can fill this only with logins that exist. */
const MAX_OWNERS = 10_000;

/**
 * Whose authentication failure an error is, for the statistics. The verifiers look the presented
 * login up anyway (to check the password): that look-up's answer rides along with the error,
 * so counting a failure for its customer costs no query. Failures refused before the look-up —
 * the throttle's 429 after too many wrong passwords, an expired OTP — are given the customer
 * this instance last saw that login fail for, remembered for the throttle window (the time a
 * 429 can follow those failures), dropped when the login or its customer changes. A login that
 * is no existing account or sublogin is never remembered: its failures count for nobody.
 *
 * A remembered owner can be stale only by pointing at a deleted account (ids are never reused,
 * and a sublogin's login names its customer), so no other customer is ever credited.
 */
@Injectable()
export class FailureOwners {
  private readonly logger = new Logger(FailureOwners.name);
  private readonly known: TaggedCache<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig, credentialEvents: CredentialEvents) {
    this.known = new TaggedCache<string>(config.throttle.windowSeconds * 1000, MAX_OWNERS);
    credentialEvents.onChange((login) => this.known.dropTag(login));
  }

  /** The customer account id to count `err` for, or null (nobody). Never throws. */
  accountIdOf(err: unknown): string | null {
    try {
      const attempt = typeof err === 'object' && err !== null ? attempts.get(err) : undefined;
      if (!attempt) return null;
      const { login, owner } = attempt;
      if (owner) {
        this.known.set(login, owner.id, [login, owner.login], this.known.generation());
        return owner.id;
      }
      return owner === null ? null : (this.known.get(login) ?? null);
    } catch (err) {
      this.logger.warn({ err }, 'could not tell whose authentication failure this was; counted for nobody');
      return null;
    }
  }
}
