import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errors } from 'oidc-provider';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyRing } from '../crypto/secrets.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { SCHEMA } from '../schema.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import { type Revocation, OAuthRevocations } from './oauth-revocations.js';
import { TypeOrmOidcAdapter } from './oidc-adapter.js';

/** The adapter's contract on a real (SQLite) database with the real migrations. */
describe('TypeOrmOidcAdapter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-oauth-'));
  let ds: DataSource;
  let store: OAuthArtifactStore;
  let revoked: Revocation[];
  let adapter: (model: string) => TypeOrmOidcAdapter;

  beforeAll(async () => {
    ds = new DataSource(dataSourceOptions(`sqlite:${join(dir, 'db.sqlite')}`, SCHEMA));
    await ds.initialize();
    await ds.runMigrations();
    store = new OAuthArtifactStore(ds, new KeyRing(randomBytes(32)));
    const revocations = new OAuthRevocations(new MemorySharedState());
    await revocations.onModuleInit();
    revocations.onRevoked((r) => revoked.push(r));
    adapter = (model) => new TypeOrmOidcAdapter(model, store, revocations);
  });
  afterAll(async () => {
    await ds?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    revoked = [];
  });

  const id = () => randomBytes(32).toString('base64url');

  it('stores by hashed id, seals the payload, and gives the id back on find', async () => {
    const jti = id();
    await adapter('RefreshToken').upsert(jti, { jti, kind: 'RefreshToken', grantId: 'g1', scope: 'file:read', exp: 1 }, 60);
    expect(await adapter('RefreshToken').find(jti)).toMatchObject({ jti, grantId: 'g1', scope: 'file:read' });
    expect(await adapter('AccessToken').find(jti)).toBeUndefined(); // another model
    const rows = (await ds.query('SELECT * FROM oauth_artifacts')) as Array<Record<string, unknown>>;
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(jti);
    expect(dump).not.toContain('file:read');
    expect(rows.find((r) => r.model === 'RefreshToken')?.grant_id).toBe('g1');
  });

  it('consumes exactly once, also under concurrency; the loser revokes the grant and fails with invalid_grant', async () => {
    const grantId = `g-${randomUUID()}`;
    const jti = id();
    const other = id();
    await adapter('RefreshToken').upsert(jti, { jti, grantId }, 60);
    await adapter('AccessToken').upsert(other, { jti: other, grantId }, 60);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => adapter('RefreshToken').consume(jti)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(errors.InvalidGrant);
    expect(await adapter('AccessToken').find(other)).toBeUndefined();
    expect(revoked).toContainEqual({ kind: 'grant', grantId });
  });

  it('marks a consumed artifact', async () => {
    const jti = id();
    await adapter('AuthorizationCode').upsert(jti, { jti, grantId: 'g2' }, 60);
    await adapter('AuthorizationCode').consume(jti);
    expect((await adapter('AuthorizationCode').find(jti))?.consumed).toEqual(expect.any(Number));
    // An upsert does not bring a consumed code back.
    await adapter('AuthorizationCode').upsert(jti, { jti, grantId: 'g2' }, 60);
    expect((await adapter('AuthorizationCode').find(jti))?.consumed).toEqual(expect.any(Number));
  });

  it('finds sessions by uid and device codes by user code, with their ids', async () => {
    const sid = id();
    await adapter('Session').upsert(sid, { jti: sid, uid: 'uid-1', kind: 'Session' }, 60);
    expect(await adapter('Session').findByUid('uid-1')).toMatchObject({ jti: sid, uid: 'uid-1' });
    const dc = id();
    await adapter('DeviceCode').upsert(dc, { jti: dc, userCode: 'BCDFGHJK', grantId: 'g3' }, 60);
    expect(await adapter('DeviceCode').findByUserCode('BCDFGHJK')).toMatchObject({ jti: dc });
    expect(await adapter('DeviceCode').findByUserCode('XXXXXXXX')).toBeUndefined();
  });

  it('revokes by grant, model by model, and announces access-token and grant removals', async () => {
    const grantId = `g-${randomUUID()}`;
    const at = id();
    const rt = id();
    await adapter('AccessToken').upsert(at, { jti: at, grantId }, 60);
    await adapter('RefreshToken').upsert(rt, { jti: rt, grantId }, 60);
    await adapter('Grant').upsert(grantId, { jti: grantId, kind: 'Grant' }, 60);
    await adapter('AccessToken').revokeByGrantId(grantId);
    expect(await adapter('AccessToken').find(at)).toBeUndefined();
    expect(await adapter('RefreshToken').find(rt)).toBeDefined();
    expect(await adapter('Grant').find(grantId)).toBeDefined();
    // Announced (here and, through the broadcast, again: every instance hears it, this one included).
    expect(new Set(revoked.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ kind: 'grant', grantId })]));
    await adapter('Grant').destroy(grantId);
    expect(await adapter('Grant').find(grantId)).toBeUndefined();
    const at2 = id();
    await adapter('AccessToken').upsert(at2, { jti: at2, grantId }, 60);
    await adapter('AccessToken').destroy(at2);
    expect(revoked).toContainEqual({ kind: 'token', idHash: OAuthArtifactStore.hash(at2) });
  });

  it('answers nothing once expired, and the prune job deletes it', async () => {
    const jti = id();
    await adapter('AccessToken').upsert(jti, { jti }, -1);
    expect(await adapter('AccessToken').find(jti)).toBeUndefined();
    expect(await store.prune()).toBeGreaterThanOrEqual(1);
    expect((await ds.query('SELECT COUNT(*) AS n FROM oauth_artifacts WHERE id = ?', [OAuthArtifactStore.hash(jti)]))[0].n).toBe(0);
  });
});
