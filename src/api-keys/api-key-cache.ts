import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import type { CredentialLimits } from '../common/credential-limits.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { KeyRing } from '../crypto/secrets.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { SharedState } from '../shared-state/shared-state.js';
import { TaggedCache } from '../shared-state/tagged-cache.js';
import { ApiKeyBlock } from './api-key-block.entity.js';
import { ApiKey, type ApiKeyStatus } from './api-key.entity.js';
import { Application } from './application.entity.js';
import { API_KEY_HMAC_PURPOSE } from './core/api-key-format.js';
import type { ApplicationStatus } from './core/application-lifecycle.js';

/** What the API-key step needs to know about a key: its application, both statuses, and who blocked the app. */
export interface KnownKey {
  keyId: string;
  keyStatus: ApiKeyStatus;
  application: { id: string; name: string; status: ApplicationStatus };
  /** Accounts that blocked the application for themselves (contract §4.3, per-user invalidation). */
  blockedBy: ReadonlySet<string>;
  /** The developer's login: deleting that account deletes the application. */
  ownerLogin: string;
  /** The limits the developer set on the key (contract §4.7); null: none. */
  limits: CredentialLimits | null;
}

const CHANNEL = 'api-keys-changed';

/**
 * The hot path of the API-key step: presented key → key, application and blocks, in memory, so
 * that a request with an API key costs one string hash (KeyRing.lookupKey) and one Map probe.
 *
 * Every change that can alter an answer — approve, reject, revoke, issue, rotate, block,
 * unblock — is announced with the application's id on the SharedState broadcast; every
 * instance drops that application's entries (this one before the announcement returns, the
 * others when it arrives: milliseconds on Redis), so a revoked key fails everywhere within a
 * second. A miss costs one indexed read (the unique `hash` column, with the application and its
 * blocks joined). A read that raced with a change is not stored (the generation check), and
 * entries also expire after VERIFY_CACHE_TTL, should a broadcast ever be lost.
 */
@Injectable()
export class ApiKeyCache implements OnModuleInit {
  /** null values: no key has this hash (keys are random, so none ever will: safe to remember). */
  private readonly cache: TaggedCache<KnownKey | null>;
  private readonly applicationListeners = new Set<(applicationId: string) => void>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly state: SharedState,
    private readonly credentialEvents: CredentialEvents,
    private readonly keys: KeyRing,
  ) {
    // Fails closed while broadcasts may go unheard (see TaggedCache).
    this.cache = new TaggedCache(config.verifyCacheTtlSeconds * 1000, undefined, state);
  }

  get hits(): number {
    return this.cache.hits;
  }

  get misses(): number {
    return this.cache.misses;
  }

  async onModuleInit(): Promise<void> {
    await this.state.subscribe(CHANNEL, (applicationId) => this.dropApplication(applicationId));
    // A deleted developer account takes its applications with it (ON DELETE CASCADE).
    this.credentialEvents.onChange((login) => this.dropOwner(login));
  }

  /** The remembered answer for a well-formed key: a key, null (no such key), or undefined (not known here). */
  cached(presented: string): KnownKey | null | undefined {
    return this.cache.get(this.keys.lookupKey('api-key-cache', presented));
  }

  /** One indexed read by the key's stored HMAC; remembers the answer unless something changed while reading. */
  async load(presented: string): Promise<KnownKey | null> {
    const generation = this.cache.generation();
    const hash = this.keys.hmac(API_KEY_HMAC_PURPOSE, presented);
    const rows = await this.dataSource
      .createQueryBuilder()
      .select('k.id', 'key_id')
      .addSelect('k.status', 'key_status')
      .addSelect('k.expires_at', 'key_expires_at')
      .addSelect('k.allowed_ranges', 'key_allowed_ranges')
      .addSelect('a.id', 'app_id')
      .addSelect('a.name', 'app_name')
      .addSelect('a.status', 'app_status')
      .addSelect('o.login', 'owner_login')
      .addSelect('b.account_id', 'blocked_by')
      .from(ApiKey, 'k')
      .innerJoin(Application, 'a', 'a.id = k.application_id')
      .innerJoin(Account, 'o', 'o.id = a.owner_account_id')
      .leftJoin(ApiKeyBlock, 'b', 'b.application_id = a.id')
      .where('k.hash = :hash', { hash })
      .getRawMany<{ key_id: string; key_status: ApiKeyStatus; key_expires_at: string | number | null; key_allowed_ranges: string | null; app_id: string; app_name: string; app_status: ApplicationStatus; owner_login: string; blocked_by: string | null }>();
    const first = rows[0];
    const key: KnownKey | null = first
      ? {
          keyId: first.key_id,
          keyStatus: first.key_status,
          application: { id: first.app_id, name: first.app_name, status: first.app_status },
          blockedBy: new Set(rows.map((r) => r.blocked_by).filter((id): id is string => id !== null)),
          ownerLogin: first.owner_login,
          limits:
            first.key_expires_at !== null || first.key_allowed_ranges
              ? { expiresAt: first.key_expires_at === null ? null : Number(first.key_expires_at), allowedRanges: first.key_allowed_ranges ? first.key_allowed_ranges.split(',') : null }
              : null,
        }
      : null;
    const tags = key ? [`app:${key.application.id}`, `owner:${key.ownerLogin}`] : [];
    this.cache.set(this.keys.lookupKey('api-key-cache', presented), key, tags, generation);
    return key;
  }

  /**
   * After a change to an application (its status, keys or blocks) is committed: drops what this
   * instance remembers of it at once, then tells the other instances to do the same.
   */
  async announce(applicationId: string): Promise<void> {
    this.dropApplication(applicationId);
    await this.state.publish(CHANNEL, applicationId);
  }

  dropApplication(applicationId: string): void {
    this.cache.dropTag(`app:${applicationId}`);
    for (const listener of this.applicationListeners) listener(applicationId);
  }

  /**
   * Called on every instance, within a second, whenever an application changes (status, keys,
   * blocks): the application's other credentials (OAuth access tokens) drop what they cached.
   */
  onApplicationChange(listener: (applicationId: string) => void): void {
    this.applicationListeners.add(listener);
  }

  private dropOwner(login: string): void {
    this.cache.dropTag(`owner:${login}`);
  }
}
