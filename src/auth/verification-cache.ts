import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { KeyRing } from '../crypto/secrets.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { TaggedCache } from '../shared-state/tagged-cache.js';
import type { Principal } from './principal.js';

/**
 * Remembers successful argon2id verifications for VERIFY_CACHE_TTL, keyed by a keyed hash of
 * (method, credential as sent) — never the secret. argon2id is slow by design and a WebDAV client
 * sends its Basic header with every request: without this the service would throttle itself.
 * Keying on the header as sent lets a hit skip parsing it too; another spelling of the same
 * credentials is just another entry. Entries are tagged with the credential's login and its
 * customer's; every credential change anywhere (CredentialEvents) drops them. Measurements:
 * bench/README.md.
 */
@Injectable()
export class VerificationCache extends TaggedCache<Principal> {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: KeyRing,
    credentialEvents: CredentialEvents,
  ) {
    // Fails closed while broadcasts may go unheard (see TaggedCache).
    super(config.verifyCacheTtlSeconds * 1000, undefined, credentialEvents);
    credentialEvents.onChange((login) => this.dropTag(login));
  }

  key(method: string, credential: string): string {
    return this.keys.lookupKey('verification-cache', `${method}\0${credential}`);
  }
}
