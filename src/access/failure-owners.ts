import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Refusal } from '../auth/verification.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { TaggedCache } from '../shared-state/tagged-cache.js';

/** Logins kept: an attacker can fill this only with logins that exist. */
const MAX_OWNERS = 10_000;

/**
 * Whose authentication failure a refusal is, for the statistics (contract §7, `GET /api/stat/auth`).
 * The verifiers look the presented login up anyway (to check the password): that look-up's answer
 * comes with the refusal, so counting a failure for its customer costs no query. Refusals made
 * before the look-up — the throttle's 429 after too many wrong passwords, an expired OTP — are
 * given the customer this instance last saw that login fail for, remembered for the throttle
 * window (the time a 429 can follow those failures), dropped when the login or its customer
 * changes. A login that is no existing account or sublogin is never remembered: its failures
 * count for nobody.
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

  /** The customer account id to count a refusal for, or null (nobody). Never throws. */
  accountIdOf(refusal: Refusal | undefined): string | null {
    try {
      if (!refusal || refusal.login === null) return null;
      const { login, owner } = refusal;
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
