import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { KeyRing } from '../crypto/secrets.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import type { Principal } from './principal.js';

interface Entry {
  principal: Principal;
  expiresAt: number;
  /** Logins whose change must drop this entry: the credential's own and its customer's. */
  logins: readonly string[];
}

const MAX_ENTRIES = 100_000;

/**
 * Remembers successful argon2id verifications for a short TTL, keyed by an HMAC of
 * (login, password) — never the password. argon2id costs ~8 ms of CPU by design; a WebDAV client
 * sends a Basic header with every request, so without this the service would throttle itself.
 * Every credential change anywhere drops the login's entries here (CredentialEvents), and a
 * verification that raced with a change is not stored (the generation check).
 */
@Injectable()
export class VerificationCache {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByLogin = new Map<string, Set<string>>();
  private generation = 0;
  private readonly ttlMs: number;
  hits = 0;
  misses = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: KeyRing,
    credentialEvents: CredentialEvents,
  ) {
    this.ttlMs = config.verifyCacheTtlSeconds * 1000;
    credentialEvents.onChange((login) => this.dropLogin(login));
  }

  key(method: string, login: string, secret: string): string {
    return this.keys.hmac('verification-cache', `${method}\0${login}\0${secret}`);
  }

  get(key: string): Principal | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    if (entry.expiresAt <= Date.now()) {
      this.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return entry.principal;
  }

  /** Take before verifying; pass to `set`, which refuses to store if anything changed meanwhile. */
  currentGeneration(): number {
    return this.generation;
  }

  set(key: string, principal: Principal, logins: readonly string[], generation: number): void {
    if (this.ttlMs === 0 || generation !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.delete(this.entries.keys().next().value!);
    this.entries.set(key, { principal, expiresAt: Date.now() + this.ttlMs, logins });
    for (const login of logins) {
      let set = this.keysByLogin.get(login);
      if (!set) this.keysByLogin.set(login, (set = new Set()));
      set.add(key);
    }
  }

  dropLogin(login: string): void {
    this.generation++;
    for (const key of this.keysByLogin.get(login) ?? []) this.delete(key);
    this.keysByLogin.delete(login);
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const login of entry.logins) this.keysByLogin.get(login)?.delete(key);
  }
}
