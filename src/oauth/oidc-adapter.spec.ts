import { randomBytes, randomUUID } from 'node:crypto';
import { errors } from 'oidc-provider';
import { DataSource } from 'typeorm';
import { createTestEnv, type TestEnv } from '../../test/support/test-env.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyRing } from '../crypto/secrets.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { SCHEMA } from '../schema.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import { type Revocation, OAuthRevocations } from './oauth-revocations.js';
import { GrantCache, TypeOrmOidcAdapter } from './oidc-adapter.js';

/**
 * The adapter's contract on a real database with the real migrations: SQLite, and PostgreSQL when
 * PORTCULLIS_TEST_POSTGRES is set (its statements take another path, see OAuthSql).
 */
describe('TypeOrmOidcAdapter', () => {
  let env: TestEnv;
  let ds: DataSource;
  let store: OAuthArtifactStore;
  let keys: KeyRing;
  let revoked: Revocation[];
  let adapter: (model: string) => TypeOrmOidcAdapter;

  beforeAll(async () => {
    env = await createTestEnv();
    ds = new DataSource(dataSourceOptions(env.env.DATABASE_URL!, SCHEMA));
    await ds.initialize();
    await ds.runMigrations();
    keys = new KeyRing(randomBytes(32));
    store = new OAuthArtifactStore(ds, keys);
    const revocations = new OAuthRevocations(new MemorySharedState());
    await revocations.onModuleInit();
    revocations.onRevoked((r) => revoked.push(r));
    adapter = (model) => new TypeOrmOidcAdapter(model, store, revocations);
  });
  afterAll(async () => {
    await ds?.destroy();
    await env?.dispose();
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
    // Not even sealed: the payload leaves the id out (find puts it back), except where a look-up by another key needs it.
    const sealed = rows.find((r) => r.id === OAuthArtifactStore.hash(jti))!.payload as string;
    expect(JSON.parse(keys.secretBox.open(sealed)!)).toEqual({ kind: 'RefreshToken', grantId: 'g1', scope: 'file:read', exp: 1 });
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
    const p = ds.options.type === 'postgres' ? '$1' : '?';
    expect(Number((await ds.query(`SELECT COUNT(*) AS n FROM oauth_artifacts WHERE id = ${p}`, [OAuthArtifactStore.hash(jti)]))[0].n)).toBe(0);
  });

  describe('grants, remembered by each instance', () => {
    // Two instances: one database, one broadcast, each its own revocations and grant cache.
    let shared: MemorySharedState;
    const instance = async () => {
      const revocations = new OAuthRevocations(shared);
      await revocations.onModuleInit();
      const grants = new GrantCache(600_000, revocations); // longer than the grants below live
      return { grants, adapter: (model: string) => new TypeOrmOidcAdapter(model, store, revocations, grants) };
    };
    beforeEach(() => {
      shared = new MemorySharedState();
    });
    afterEach(() => {
      vi.restoreAllMocks();
      vi.useRealTimers();
    });

    it('reads a grant once while it is unchanged, and each caller gets a payload of its own', async () => {
      const a = await instance();
      const grantId = id();
      await a.adapter('Grant').upsert(grantId, { jti: grantId, kind: 'Grant', resources: { api: 'file:read' } }, 60);
      const reads = vi.spyOn(store, 'findOpened');
      const first = await a.adapter('Grant').find(grantId);
      expect(first).toMatchObject({ jti: grantId, resources: { api: 'file:read' } });
      (first!.resources as Record<string, string>).api = 'file:write'; // the provider's models write into what they are given
      expect(await a.adapter('Grant').find(grantId)).toMatchObject({ jti: grantId, resources: { api: 'file:read' } });
      expect(reads).toHaveBeenCalledTimes(1);
      expect(a.grants.hits).toBe(1);
      // Other models are never remembered.
      expect(await a.adapter('RefreshToken').find(grantId)).toBeUndefined();
    });

    it("drops it on every instance when one writes or deletes it, and never serves it past its expiry", async () => {
      const a = await instance();
      const b = await instance();
      const grantId = id();
      await a.adapter('Grant').upsert(grantId, { jti: grantId, kind: 'Grant', resources: { api: 'file:read' } }, 60);
      expect(await b.adapter('Grant').find(grantId)).toMatchObject({ resources: { api: 'file:read' } });
      // A consent on instance a adds a scope: b sees it on its next read.
      await a.adapter('Grant').upsert(grantId, { jti: grantId, kind: 'Grant', resources: { api: 'file:read file:write' } }, 60);
      expect(await b.adapter('Grant').find(grantId)).toMatchObject({ resources: { api: 'file:read file:write' } });
      // Revoked on instance a: gone on b.
      await a.adapter('Grant').destroy(grantId);
      expect(await b.adapter('Grant').find(grantId)).toBeUndefined();

      const later = id();
      await a.adapter('Grant').upsert(later, { jti: later, kind: 'Grant' }, 60);
      expect(await b.adapter('Grant').find(later)).toBeDefined();
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
      expect(await b.adapter('Grant').find(later)).toBeUndefined();
    });
  });
});
