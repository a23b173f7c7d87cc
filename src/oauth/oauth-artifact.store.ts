import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AdapterPayload } from 'oidc-provider';
import type { DataSource } from 'typeorm';
import { KeyRing, sha256Hex } from '../crypto/secrets.js';
import { isUuid, parseSubject } from './core/subject.js';
import type { OAuthArtifact } from './oauth-artifact.entity.js';
import { OAuthSql } from './oauth-sql.js';

/**
 * Models found by a secondary key (Session by uid, DeviceCode by user code): the provider needs
 * their id back from such a look-up, so their payload keeps it (sealed). Every other model's id is
 * dropped from the payload and restored from the id the provider looks it up by: the value a
 * client holds is then nowhere in the database, only its hash.
 */
const KEEPS_ID = new Set(['Session', 'DeviceCode']);

export type SecondaryKey = 'uid' | 'userCode';

type Instant = string | number | null;

/** An artifact as stored, opened: its payload's JSON (no secret of a token: ids are not in it) and its instants. */
export interface OpenedArtifact {
  json: string;
  expiresAt: number | null;
  consumedAt: number | null;
}

interface StoredRow {
  payload: string;
  expires_at: Instant;
  consumed_at: Instant;
}

// Exported for the migration spec that checks their query plans (OAuthPartialIndexes).
export const UPSERT = `INSERT INTO oauth_artifacts (model, id, grant_id, user_code, uid, client_id, account_id, sublogin_id, payload, consumed_at, expires_at, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
  ON CONFLICT (model, id) DO UPDATE SET grant_id = excluded.grant_id, user_code = excluded.user_code, uid = excluded.uid, client_id = excluded.client_id,
    account_id = excluded.account_id, sublogin_id = excluded.sublogin_id, payload = excluded.payload, expires_at = excluded.expires_at`;
export const FIND = 'SELECT payload, expires_at, consumed_at FROM oauth_artifacts WHERE model = ? AND id = ?';
export const FIND_BY: Record<SecondaryKey, string> = {
  uid: 'SELECT payload, expires_at, consumed_at FROM oauth_artifacts WHERE model = ? AND uid = ? ORDER BY created_at DESC LIMIT 1',
  userCode: 'SELECT payload, expires_at, consumed_at FROM oauth_artifacts WHERE model = ? AND user_code = ? ORDER BY created_at DESC LIMIT 1',
};
export const CONSUME = 'UPDATE oauth_artifacts SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL';
const GRANT_ID_OF = 'SELECT grant_id FROM oauth_artifacts WHERE model = ? AND id = ?';
const DESTROY = 'DELETE FROM oauth_artifacts WHERE model = ? AND id = ?';
export const REVOKE_MODEL_OF_GRANT = 'DELETE FROM oauth_artifacts WHERE model = ? AND grant_id = ?';
export const REVOKE_GRANT = 'DELETE FROM oauth_artifacts WHERE grant_id = ?';
export const PRUNE = 'DELETE FROM oauth_artifacts WHERE expires_at < ?';

/**
 * oidc-provider's persistence (one table, see OAuthArtifact): the operations its Adapter needs,
 * each one fixed SQL statement (OAuthSql), portable between SQLite and PostgreSQL. `consume` is
 * one conditional UPDATE, so of two concurrent uses of one refresh token or code (on any
 * instances) exactly one wins.
 */
@Injectable()
export class OAuthArtifactStore {
  private readonly sql: OAuthSql;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly keys: KeyRing,
  ) {
    this.sql = new OAuthSql(dataSource);
  }

  /** The key an id is stored under. */
  static hash(id: string): string {
    return sha256Hex(id);
  }

  async upsert(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const now = Date.now();
    // Without `delete`, which would leave the copy a slow dictionary object for JSON.stringify.
    const { jti, ...rest } = payload;
    const stored: AdapterPayload = KEEPS_ID.has(model) ? payload : rest;
    // A Grant is the grant of itself: revoking a grant by id then takes the Grant row too.
    const grantId = model === 'Grant' ? id : typeof payload.grantId === 'string' ? payload.grantId : null;
    const subject = parseSubject(payload.accountId);
    // Never `consumed_at` on conflict (a consumed code stays consumed) nor a grant's last use.
    await this.sql.runCommitted(UPSERT, [
      model,
      OAuthArtifactStore.hash(id),
      grantId,
      typeof payload.userCode === 'string' ? payload.userCode : null,
      typeof payload.uid === 'string' ? payload.uid : null,
      isUuid(payload.clientId) ? payload.clientId : null,
      subject?.accountId ?? null,
      subject?.subloginId ?? null,
      this.keys.secretBox.seal(JSON.stringify(stored)),
      typeof expiresIn === 'number' ? now + expiresIn * 1000 : null,
      now,
    ]);
  }

  async find(model: string, id: string): Promise<AdapterPayload | undefined> {
    const opened = await this.findOpened(model, id);
    return opened ? OAuthArtifactStore.parse(opened, id) : undefined;
  }

  /** The artifact's payload opened but not parsed (GrantCache keeps it so), or undefined when gone, expired or unreadable. */
  async findOpened(model: string, id: string): Promise<OpenedArtifact | undefined> {
    const row = await this.sql.get<StoredRow>(FIND, [model, OAuthArtifactStore.hash(id)]);
    if (!row) return undefined;
    const expiresAt = instantMs(row.expires_at);
    if (expiresAt !== null && expiresAt <= Date.now()) return undefined;
    const json = this.keys.secretBox.open(row.payload);
    if (json === null) return undefined; // sealed under a retired key, or tampered with
    return { json, expiresAt, consumedAt: instantMs(row.consumed_at) };
  }

  /** A fresh payload object (the provider's models keep references into it): the id back, a use as `consumed`; undefined once expired. */
  static parse(opened: OpenedArtifact, id: string): AdapterPayload | undefined {
    if (opened.expiresAt !== null && opened.expiresAt <= Date.now()) return undefined;
    const payload = JSON.parse(opened.json) as AdapterPayload;
    payload.jti = id;
    if (opened.consumedAt !== null) payload.consumed = Math.floor(opened.consumedAt / 1000);
    return payload;
  }

  async findBy(model: string, key: SecondaryKey, value: string): Promise<AdapterPayload | undefined> {
    const row = await this.sql.get<StoredRow>(FIND_BY[key], [model, value]);
    return row ? this.open(row, undefined) : undefined;
  }

  /** Marks the artifact used; false when it was already used (or is gone): the caller lost a race. */
  async consume(model: string, id: string): Promise<boolean> {
    return (await this.sql.runCommitted(CONSUME, [Date.now(), model, OAuthArtifactStore.hash(id)])) > 0;
  }

  async grantIdOf(model: string, id: string): Promise<string | null> {
    const row = await this.sql.get<{ grant_id: string | null }>(GRANT_ID_OF, [model, OAuthArtifactStore.hash(id)]);
    return row?.grant_id ?? null;
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.sql.run(DESTROY, [model, OAuthArtifactStore.hash(id)]);
  }

  /** One model's artifacts of a grant (the provider revokes model by model). */
  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.sql.run(REVOKE_MODEL_OF_GRANT, [model, grantId]);
  }

  /** Everything of a grant, the Grant itself included. */
  async revokeGrant(grantId: string): Promise<void> {
    await this.sql.run(REVOKE_GRANT, [grantId]);
  }

  /** Deletes what has expired; returns how many rows. */
  async prune(now = new Date()): Promise<number> {
    return this.sql.run(PRUNE, [now.getTime()]);
  }

  private open(row: StoredRow, id: string | undefined): AdapterPayload | undefined {
    return this.payloadOf({ payload: row.payload, expiresAt: instant(row.expires_at), consumedAt: instant(row.consumed_at) }, id);
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

function instant(v: Instant): Date | null {
  return v === null ? null : new Date(Number(v));
}

function instantMs(v: Instant): number | null {
  return v === null ? null : Number(v);
}
