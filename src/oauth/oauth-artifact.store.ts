import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AdapterPayload } from 'oidc-provider';
import type { DataSource, Repository } from 'typeorm';
import { KeyRing, sha256Hex } from '../crypto/secrets.js';
import { isUuid, parseSubject } from './core/subject.js';
import { OAuthArtifact } from './oauth-artifact.entity.js';

/**
 * Models found by a secondary key (Session by uid, DeviceCode by user code): the provider needs
 * their id back from such a look-up, so their payload keeps it (sealed). Every other model's id is
 * dropped from the payload and restored from the id the provider looks it up by: the value a
 * client holds is then nowhere in the database, only its hash.
 */
const KEEPS_ID = new Set(['Session', 'DeviceCode']);

export type SecondaryKey = 'uid' | 'userCode';

/**
 * oidc-provider's persistence over TypeORM (one table, see OAuthArtifact): the operations its
 * Adapter needs, portable between SQLite and PostgreSQL. `consume` is one conditional UPDATE, so
 * of two concurrent uses of one refresh token or code (on any instances) exactly one wins.
 */
@Injectable()
export class OAuthArtifactStore {
  private readonly repo: Repository<OAuthArtifact>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: KeyRing,
  ) {
    this.repo = dataSource.getRepository(OAuthArtifact);
  }

  /** The key an id is stored under. */
  static hash(id: string): string {
    return sha256Hex(id);
  }

  async upsert(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const now = Date.now();
    const stored: AdapterPayload = { ...payload };
    if (!KEEPS_ID.has(model)) delete stored.jti;
    // A Grant is the grant of itself: revoking a grant by id then takes the Grant row too.
    const grantId = model === 'Grant' ? id : typeof payload.grantId === 'string' ? payload.grantId : null;
    const subject = parseSubject(payload.accountId);
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(OAuthArtifact)
      .values({
        model,
        id: OAuthArtifactStore.hash(id),
        grantId,
        userCode: typeof payload.userCode === 'string' ? payload.userCode : null,
        uid: typeof payload.uid === 'string' ? payload.uid : null,
        clientId: isUuid(payload.clientId) ? payload.clientId : null,
        accountId: subject?.accountId ?? null,
        subloginId: subject?.subloginId ?? null,
        payload: this.keys.secretBox.seal(JSON.stringify(stored)),
        consumedAt: null,
        expiresAt: typeof expiresIn === 'number' ? new Date(now + expiresIn * 1000) : null,
        createdAt: new Date(now),
      })
      // Never `consumed_at` (a consumed code stays consumed) nor a grant's last use.
      .orUpdate(['grant_id', 'user_code', 'uid', 'client_id', 'account_id', 'sublogin_id', 'payload', 'expires_at'], ['model', 'id'])
      .execute();
  }

  async find(model: string, id: string): Promise<AdapterPayload | undefined> {
    const row = await this.repo.findOneBy({ model, id: OAuthArtifactStore.hash(id) });
    return row ? this.payloadOf(row, id) : undefined;
  }

  async findBy(model: string, key: SecondaryKey, value: string): Promise<AdapterPayload | undefined> {
    const rows = await this.repo.find({ where: { model, [key]: value }, order: { createdAt: 'DESC' }, take: 1 });
    return rows[0] ? this.payloadOf(rows[0], undefined) : undefined;
  }

  /** Marks the artifact used; false when it was already used (or is gone): the caller lost a race. */
  async consume(model: string, id: string): Promise<boolean> {
    const res = await this.dataSource
      .createQueryBuilder()
      .update(OAuthArtifact)
      .set({ consumedAt: new Date() })
      .where('model = :model AND id = :id AND consumed_at IS NULL', { model, id: OAuthArtifactStore.hash(id) })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  async grantIdOf(model: string, id: string): Promise<string | null> {
    const row = await this.repo.findOne({ where: { model, id: OAuthArtifactStore.hash(id) }, select: { grantId: true, model: true, id: true } });
    return row?.grantId ?? null;
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.repo.delete({ model, id: OAuthArtifactStore.hash(id) });
  }

  /** One model's artifacts of a grant (the provider revokes model by model). */
  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.repo.delete({ model, grantId });
  }

  /** Everything of a grant, the Grant itself included. */
  async revokeGrant(grantId: string): Promise<void> {
    await this.repo.delete({ grantId });
  }

  /** Deletes what has expired; returns how many rows. */
  async prune(now = new Date()): Promise<number> {
    const res = await this.dataSource.createQueryBuilder().delete().from(OAuthArtifact).where('expires_at < :now', { now: now.getTime() }).execute();
    return res.affected ?? 0;
  }

  /** Opens a payload: the id comes back, a use shows as `consumed`. */
  payloadOf(row: Pick<OAuthArtifact, 'payload' | 'expiresAt' | 'consumedAt'>, id: string | undefined): AdapterPayload | undefined {
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return undefined;
    const json = this.keys.secretBox.open(row.payload);
    if (json === null) return undefined; // sealed under a retired key, or tampered with
    const payload = JSON.parse(json) as AdapterPayload;
    if (id !== undefined) payload.jti = id;
    if (row.consumedAt) payload.consumed = Math.floor(row.consumedAt.getTime() / 1000);
    return payload;
  }
}
