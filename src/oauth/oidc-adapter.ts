import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import type { OAuthRevocations } from './oauth-revocations.js';

/**
 * oidc-provider's Adapter for one model, over OAuthArtifactStore. Deleting an access token or a
 * grant is announced to every instance's Bearer cache (OAuthRevocations).
 */
export class TypeOrmOidcAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: OAuthArtifactStore,
    private readonly revocations: OAuthRevocations,
  ) {}

  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    return this.store.upsert(this.model, id, payload, expiresIn);
  }

  find(id: string): Promise<AdapterPayload | undefined> {
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
