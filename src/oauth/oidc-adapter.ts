import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { TaggedCache } from '../shared-state/tagged-cache.js';
import { type OpenedArtifact, OAuthArtifactStore } from './oauth-artifact.store.js';
import type { OAuthRevocations } from './oauth-revocations.js';

const MAX_GRANTS = 100_000;

/**
 * Grants as the provider reads them: every refresh reads its grant (scopes, expiry), which
 * changes only when a consent writes it, so each instance remembers it (issue 18: a database
 * read, an AES-GCM opening and a sha256 a refresh). Kept opened but as JSON, parsed afresh on
 * each hit (the provider's models keep references into the payload), and dropped on every
 * instance when the grant is written or deleted (OAuthRevocations: the adapter announces both
 * after the commit), with TaggedCache's guards: a read that raced with such an announcement is
 * not stored, entries live at most VERIFY_CACHE_TTL and never past the grant's expiry, and
 * nothing is served while announcements may go unheard. Only found grants are remembered.
 *
 * Deleted without an announcement: a grant's rows cascading with its account, application or
 * sublogin. Its tokens and codes go in the same statement, so no refresh or code exchange gets
 * as far as the grant, and an interaction first asks for the account and the client, whose
 * caches those deletions drop.
 */
export class GrantCache {
  private readonly cache: TaggedCache<OpenedArtifact>;

  constructor(ttlMs: number, revocations: OAuthRevocations) {
    this.cache = new TaggedCache(ttlMs, MAX_GRANTS, revocations.broadcast);
    revocations.onRevoked((r) => {
      if (r.kind === 'grant') this.cache.dropTag(r.grantId);
    });
  }

  async find(id: string, load: () => Promise<OpenedArtifact | undefined>): Promise<AdapterPayload | undefined> {
    let opened = this.cache.get(id);
    if (!opened) {
      const generation = this.cache.generation();
      opened = await load();
      if (!opened) return undefined;
      this.cache.set(id, opened, [id], generation);
    }
    return OAuthArtifactStore.parse(opened, id);
  }

  get hits(): number {
    return this.cache.hits;
  }
}

/**
 * oidc-provider's Adapter for one model, over OAuthArtifactStore. Deleting an access token or a
 * grant, or writing a grant, is announced to every instance's caches (OAuthRevocations).
 */
export class TypeOrmOidcAdapter implements Adapter {
  private readonly grants: GrantCache | undefined;

  constructor(
    private readonly model: string,
    private readonly store: OAuthArtifactStore,
    private readonly revocations: OAuthRevocations,
    grants?: GrantCache,
  ) {
    this.grants = model === 'Grant' ? grants : undefined;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.store.upsert(this.model, id, payload, expiresIn);
    if (this.model === 'Grant') await this.revocations.grantChanged(id);
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    if (this.grants) return this.grants.find(id, () => this.store.findOpened(this.model, id));
    return this.store.find(this.model, id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.store.findBy(this.model, 'uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.store.findBy(this.model, 'userCode', userCode);
  }

  /**
   * Atomic: of concurrent uses of one refresh token, code or device code (on any instances),
   * one wins here. A loser is a reuse (RFC 9700 §4.14.2: refresh token reuse means theft, or a
   * client bug), answered as the provider answers a sequential reuse: the whole grant is revoked
   * and the request fails with `invalid_grant`.
   */
  async consume(id: string): Promise<void> {
    if (await this.store.consume(this.model, id)) return;
    const grantId = await this.store.grantIdOf(this.model, id);
    if (grantId) {
      await this.store.revokeGrant(grantId);
      await this.revocations.grantRevoked(grantId);
    }
    throw new errors.InvalidGrant(`${this.model} was already used`);
  }

  async destroy(id: string): Promise<void> {
    await this.store.destroy(this.model, id);
    if (this.model === 'AccessToken') await this.revocations.tokenRevoked(OAuthArtifactStore.hash(id));
    else if (this.model === 'Grant') await this.revocations.grantRevoked(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.store.revokeByGrantId(this.model, grantId);
    // The provider revokes model by model; the access tokens' turn is the one that matters here.
    if (this.model === 'AccessToken') await this.revocations.grantRevoked(grantId);
  }
}

/** The Client "model" is not stored: clients are the approved applications (OAuthClients). */
export class ClientAdapter implements Adapter {
  constructor(private readonly lookup: (id: string) => Promise<AdapterPayload | undefined>) {}

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.lookup(id);
  }

  private refuse(): Promise<never> {
    return Promise.reject(new Error('clients are applications; they are not written through the OAuth provider'));
  }

  upsert(): Promise<void> {
    return this.refuse();
  }
  findByUid(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  findByUserCode(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  consume(): Promise<void> {
    return this.refuse();
  }
  destroy(): Promise<void> {
    return this.refuse();
  }
  revokeByGrantId(): Promise<void> {
    return Promise.resolve();
  }
}
