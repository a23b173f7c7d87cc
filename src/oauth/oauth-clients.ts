import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AdapterPayload } from 'oidc-provider';
import type { DataSource } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { ApiKeyCache } from '../api-keys/api-key-cache.js';
import { Application } from '../api-keys/application.entity.js';
import { ApplicationsService } from '../api-keys/applications.service.js';
import { keysUsable } from '../api-keys/core/application-lifecycle.js';
import { type AuditOrigin, AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { constantTimeEqual, KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { TaggedCache } from '../shared-state/tagged-cache.js';
import { isUuid } from './core/subject.js';
import { OAuthClientSecret } from './oauth-client-secret.entity.js';

export const CLIENT_SECRET_HMAC_PURPOSE = 'oauth-client-secret';
const MAX_CLIENTS = 10_000;
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** A client secret in the clear, shown once. */
export interface IssuedClientSecret {
  clientId: string;
  clientSecret: string;
  last4: string;
  createdAt: Date;
}

/** A client's metadata, or null for "no such usable client". */
type Known = AdapterPayload | null;

/**
 * OAuth clients are the approved applications (contract §4.3, §4.4). A look-up is remembered
 * (TaggedCache, the rule of the other credential caches): every change to the application
 * (review, keys, blocks, its client secret) or to its developer's account is announced to every
 * instance, which drops the entry, so approving, rejecting or revoking an application, or
 * replacing its secret, applies to the very next authorization, token or introspection request.
 *
 * - client_id = the application's id; redirect URIs are the registered ones, matched exactly.
 * - An application without a client secret is a public client (`none`); one whose developer
 *   fetched a secret is confidential (`client_secret_basic`). PKCE S256 is required of all.
 * - An application with no redirect URI can use the device flow only.
 * - Private-use schemes (com.example.app:/cb) make a native client (loopback redirects then
 *   match on any port, RFC 8252 §7.3); otherwise a web client.
 */
@Injectable()
export class OAuthClients implements OnModuleInit {
  private readonly cache: TaggedCache<Known>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: KeyRing,
    private readonly applications: ApplicationsService,
    private readonly audit: AuditService,
    private readonly apiKeys: ApiKeyCache,
    private readonly credentialEvents: CredentialEvents,
  ) {
    // Fails closed while broadcasts may go unheard (see TaggedCache).
    this.cache = new TaggedCache(config.verifyCacheTtlSeconds * 1000, MAX_CLIENTS, credentialEvents);
  }

  onModuleInit(): void {
    this.apiKeys.onApplicationChange((applicationId) => this.cache.dropTag(`app:${applicationId}`));
    // A deleted developer account takes its applications with it (ON DELETE CASCADE).
    this.credentialEvents.onChange((login) => this.cache.dropTag(`owner:${login}`));
  }

  async metadata(clientId: string): Promise<AdapterPayload | undefined> {
    if (!isUuid(clientId)) return undefined;
    const cached = this.cache.get(clientId);
    if (cached !== undefined) return cached ?? undefined;
    const generation = this.cache.generation();
    const { metadata, ownerLogin } = await this.load(clientId);
    this.cache.set(clientId, metadata, [`app:${clientId}`, ...(ownerLogin === null ? [] : [`owner:${ownerLogin}`])], generation);
    return metadata ?? undefined;
  }

  private async load(clientId: string): Promise<{ metadata: Known; ownerLogin: string | null }> {
    const row = await this.dataSource
      .createQueryBuilder()
      .select('a.id', 'id')
      .addSelect('a.name', 'name')
      .addSelect('a.status', 'status')
      .addSelect('a.homepage', 'homepage')
      .addSelect('a.redirect_uris', 'redirect_uris')
      .addSelect('s.secret_hash', 'secret_hash')
      .addSelect('o.login', 'owner_login')
      .from(Application, 'a')
      .innerJoin(Account, 'o', 'o.id = a.owner_account_id')
      .leftJoin(OAuthClientSecret, 's', 's.application_id = a.id')
      .where('a.id = :id', { id: clientId })
      .getRawOne<{ id: string; name: string; status: Application['status']; homepage: string | null; redirect_uris: string; secret_hash: string | null; owner_login: string }>();
    if (!row) return { metadata: null, ownerLogin: null };
    if (!keysUsable(row.status)) return { metadata: null, ownerLogin: row.owner_login };
    const redirectUris = parseUris(row.redirect_uris);
    const web = redirectUris.every((u) => u.startsWith('https:') || u.startsWith('http:'));
    const metadata: AdapterPayload = {
      client_id: row.id,
      client_name: row.name,
      ...(row.homepage ? { client_uri: row.homepage } : {}),
      application_type: web ? 'web' : 'native',
      redirect_uris: redirectUris,
      response_types: redirectUris.length ? ['code'] : [],
      grant_types: redirectUris.length ? ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT] : ['refresh_token', DEVICE_CODE_GRANT],
      ...(row.secret_hash
        ? // The provider compares presented secrets through compareSecret (patched in), against this hash.
          { token_endpoint_auth_method: 'client_secret_basic', client_secret: row.secret_hash }
        : { token_endpoint_auth_method: 'none' }),
    };
    return { metadata, ownerLogin: row.owner_login };
  }

  /** Constant-time comparison of a presented secret with the stored keyed hash. */
  compareSecret(storedHash: string | undefined, presented: string): boolean {
    if (!storedHash) return false;
    return constantTimeEqual(this.keys.hmac(CLIENT_SECRET_HMAC_PURPOSE, presented), storedHash);
  }

  /**
   * Issues (or replaces) the client secret of the developer's approved application: 256 random
   * bits, returned this once. The application becomes a confidential client at once; a replaced
   * secret stops working at once.
   */
  async issueSecret(developer: Principal, applicationId: string, origin: AuditOrigin): Promise<IssuedClientSecret> {
    const app = await this.applications.getOwn(developer.account.id, applicationId);
    if (!keysUsable(app.status)) throw new DomainError('conflict', `the application is ${app.status}; client secrets are issued to approved applications only`);
    const clientSecret = randomBytes(32).toString('base64url');
    const record: OAuthClientSecret = {
      applicationId: app.id,
      secretHash: this.keys.hmac(CLIENT_SECRET_HMAC_PURPOSE, clientSecret),
      last4: clientSecret.slice(-4),
      createdAt: new Date(),
    };
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(OAuthClientSecret)
      .values(record)
      .orUpdate(['secret_hash', 'last4', 'created_at'], ['application_id'])
      .execute();
    // The old secret stops working at once, on every instance (cached client metadata).
    await this.apiKeys.announce(app.id);
    this.record('apps.oauth_secret.issue', developer, app, origin, { last4: record.last4 });
    return { clientId: app.id, clientSecret, last4: record.last4, createdAt: record.createdAt };
  }

  /** Removes the secret: the application is a public client again (PKCE only). Idempotent. */
  async deleteSecret(developer: Principal, applicationId: string, origin: AuditOrigin): Promise<void> {
    const app = await this.applications.getOwn(developer.account.id, applicationId);
    const res = await this.dataSource.getRepository(OAuthClientSecret).delete({ applicationId: app.id });
    await this.apiKeys.announce(app.id);
    if (res.affected) this.record('apps.oauth_secret.delete', developer, app, origin, {});
  }

  async secretOf(applicationId: string): Promise<OAuthClientSecret | null> {
    return this.dataSource.getRepository(OAuthClientSecret).findOneBy({ applicationId });
  }

  private record(type: string, developer: Principal, app: Application, origin: AuditOrigin, extra: Record<string, unknown>): void {
    this.audit.record({ type, outcome: 'info', login: developer.account.login, accountId: developer.account.id, detail: { applicationId: app.id, name: app.name, ...extra }, origin });
  }
}

function parseUris(raw: string | string[] | null): string[] {
  if (Array.isArray(raw)) return raw;
  try {
    const v = JSON.parse(raw ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((u): u is string => typeof u === 'string') : [];
  } catch {
    return [];
  }
}
