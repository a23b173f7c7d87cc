import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AccountsService } from '../../src/accounts/accounts.service.js';
import { ensureBootstrapAdmin } from '../../src/accounts/bootstrap-admin.js';
import { ApiKey } from '../../src/api-keys/api-key.entity.js';
import { API_KEY_HMAC_PURPOSE } from '../../src/api-keys/core/api-key-format.js';
import { createApp } from '../../src/app.factory.js';
import { RouteTable } from '../../src/access/route-table.js';
import { loadConfig } from '../../src/config/config.js';
import { KeyRing } from '../../src/crypto/secrets.js';
import { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { ADMIN_PASSWORD, createTestEnv, type TestEnv } from '../support/test-env.js';

const HEX32 = /^[0-9A-F]{32}$/;
const UNKNOWN_KEY = '0123456789ABCDEF0123456789ABCDEF';

/**
 * Applications and API keys (contract §4.3) on the real app: the developer's and the operator's
 * lifecycle, every way a key may be sent and every refusal, per-user blocks, and that no key
 * reaches a log line or an audit record. The app logs to memory here, so the logs can be read.
 */
describe('applications and API keys', () => {
  let env: TestEnv;
  let url: string;
  let close: () => Promise<void>;
  let appRef: Awaited<ReturnType<typeof createApp>>;
  const logs: string[] = [];
  let admin: HttpClient;
  let developer: HttpClient;
  let alice: HttpClient;
  let bob: HttpClient;
  /** Every key the test saw, to look for in logs and audit records at the end. */
  const seenKeys: string[] = [];

  const client = () => new HttpClient(url);
  const basic = (login: string) => basicHeader(login, `${login}-login-password`);
  /** A Basic request as `login` with extra headers, exactly as given. */
  const call = (path: string, login: string, headers: Record<string, string> = {}) => rawRequest(`${url}${path}`, { headers: { authorization: basic(login), ...headers } });

  async function customer(login: string): Promise<HttpClient> {
    // Registered before LEGACY_BASIC_CUTOFF: Basic accepts the login password.
    const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-login-password`, email: `${login}@example.com`, registeredAt: '2020-01-01T00:00:00Z' } });
    expect(res.status).toBe(201);
    const c = client();
    await c.login(login, `${login}-login-password`);
    return c;
  }

  async function register(name: string, owner = developer): Promise<string> {
    const res = await owner.post('/api/apps', { json: { name, description: `${name} does things`, homepage: 'https://example.com/app', redirectUris: ['https://example.com/cb'] } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  /** Registered, approved, and its first key fetched: the key. */
  async function liveApp(name: string): Promise<{ id: string; key: string }> {
    const id = await register(name);
    expect((await admin.post(`/api/admin/apps/${id}/approve`)).status).toBe(200);
    const issued = await developer.post(`/api/apps/${id}/key`);
    expect(issued.status).toBe(201);
    seenKeys.push(issued.body.key);
    return { id, key: issued.body.key };
  }

  beforeAll(async () => {
    env = await createTestEnv({ LOG_LEVEL: 'info' });
    const config = loadConfig(env.env);
    const logger = pino({ level: 'info', base: undefined }, { write: (line: string) => void logs.push(line) });
    appRef = await createApp(config, { logger });
    await ensureBootstrapAdmin(appRef.get(AccountsService), config);
    await appRef.listen({ host: '127.0.0.1', port: 0 });
    const address = appRef.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}`;
    close = () => appRef.close();
    admin = client();
    await admin.login('admin', ADMIN_PASSWORD);
    developer = await customer('devco');
    alice = await customer('alice');
    bob = await customer('bob');
  });
  afterAll(async () => {
    await close?.();
    await env?.dispose();
  });

  it('runs the whole lifecycle: register → pending → approve → key once → use → rotate → revoke', async () => {
    const id = await register('Lifecycle');
    const pending = await developer.get(`/api/apps/${id}`);
    expect(pending.body).toMatchObject({ id, name: 'Lifecycle', status: 'pending', key: null, reviewedAt: null, redirectUris: ['https://example.com/cb'] });
    // No key before approval, and nobody else sees the application.
    expect((await developer.post(`/api/apps/${id}/key`)).body.code).toBe('conflict');
    expect((await alice.get(`/api/apps/${id}`)).status).toBe(404);
    expect((await alice.get('/api/apps')).body).toEqual([]);

    const queue = await admin.get('/api/admin/apps?status=pending');
    expect(queue.body.items.map((a: { id: string }) => a.id)).toContain(id);
    expect(queue.body.items.find((a: { id: string }) => a.id === id).owner).toEqual({ id: expect.any(String), login: 'devco' });
    expect((await alice.get('/api/admin/apps')).body.code).toBe('admin_required');

    const approved = await admin.post(`/api/admin/apps/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', reviewedBy: 'admin', key: null });
    expect((await admin.post(`/api/admin/apps/${id}/approve`)).body.code).toBe('conflict');

    // The developer fetches the key: shown in that response only.
    const issued = await developer.post(`/api/apps/${id}/key`);
    expect(issued.status).toBe(201);
    const key: string = issued.body.key;
    seenKeys.push(key);
    expect(key).toMatch(HEX32);
    expect(issued.body).toMatchObject({ applicationId: id, last4: key.slice(-4) });
    expect((await developer.post(`/api/apps/${id}/key`)).body.code).toBe('conflict'); // once
    const view = await developer.get(`/api/apps/${id}`);
    expect(view.body.key).toMatchObject({ last4: key.slice(-4), lastUsedAt: null });
    expect(view.text).not.toContain(key);
    expect((await developer.get('/api/apps')).text).not.toContain(key);
    expect((await admin.get(`/api/admin/apps/${id}`)).text).not.toContain(key);

    // Used by a customer's Basic client: whoami names the application; a key-required route passes.
    const who = await call('/api/whoami', 'alice', { 'x-api-key': key });
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ login: 'alice', method: 'basic', application: { id, name: 'Lifecycle' } });
    expect((await call('/api/sublogin/list', 'alice', { 'x-api-key': key })).status).toBe(200);
    await expect.poll(async () => (await developer.get(`/api/apps/${id}`)).body.key.lastUsedIp, { timeout: 2_000 }).toBe('127.0.0.1');

    // Rotation: a new key once; the old one stops at once (it was cached a moment ago).
    const rotated = await developer.post(`/api/apps/${id}/key/rotate`);
    expect(rotated.status).toBe(200);
    const next: string = rotated.body.key;
    seenKeys.push(next);
    expect(next).toMatch(HEX32);
    expect(next).not.toBe(key);
    const old = await call('/api/sublogin/list', 'alice', { 'x-api-key': key });
    expect(old.status).toBe(403);
    expect(old.body.code).toBe('api_key_invalid');
    expect((await call('/api/sublogin/list', 'alice', { 'x-api-key': next })).status).toBe(200);
    expect((await call('/api/whoami', 'bob', { 'x-api-key': next })).status).toBe(200);
    expect((await developer.get(`/api/apps/${id}`)).body.key.last4).toBe(next.slice(-4));

    // Revocation: refused for everyone at once, and final.
    const revoked = await admin.post(`/api/admin/apps/${id}/revoke`);
    expect(revoked.body).toMatchObject({ status: 'revoked', key: null });
    for (const login of ['alice', 'bob']) {
      for (const path of ['/api/sublogin/list', '/api/whoami']) {
        const res = await call(path, login, { 'x-api-key': next });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('api_key_invalid');
      }
    }
    expect((await developer.post(`/api/apps/${id}/key/rotate`)).body.code).toBe('conflict');
    expect((await developer.post(`/api/apps/${id}/key`)).body.code).toBe('conflict');
    expect((await admin.post(`/api/admin/apps/${id}/approve`)).body.code).toBe('conflict');
    expect((await developer.get(`/api/apps/${id}`)).body).toMatchObject({ status: 'revoked', key: null });
  });

  it('lets an operator reject a pending application, and reconsider', async () => {
    const id = await register('Doubtful');
    const rejected = await admin.post(`/api/admin/apps/${id}/reject`);
    expect(rejected.body.status).toBe('rejected');
    expect((await admin.get('/api/admin/apps?status=rejected')).body.items.map((a: { id: string }) => a.id)).toContain(id);
    expect((await developer.post(`/api/apps/${id}/key`)).body.code).toBe('conflict');
    expect((await admin.post(`/api/admin/apps/${id}/revoke`)).body.code).toBe('conflict');
    expect((await admin.post(`/api/admin/apps/${id}/approve`)).body.status).toBe('approved');
    const issued = await developer.post(`/api/apps/${id}/key`);
    seenKeys.push(issued.body.key);
    expect((await call('/api/whoami', 'alice', { 'x-api-key': issued.body.key })).body.application.id).toBe(id);
    expect((await admin.post(`/api/admin/apps/${randomUUID()}/approve`)).status).toBe(404);
  });

  it('ends the keys of a deleted developer account at once (its applications go with it)', async () => {
    const leaving = await customer('leavingdev');
    const id = await register('Orphan', leaving);
    expect((await admin.post(`/api/admin/apps/${id}/approve`)).status).toBe(200);
    const { key } = (await leaving.post(`/api/apps/${id}/key`)).body;
    seenKeys.push(key);
    expect((await call('/api/sublogin/list', 'alice', { 'x-api-key': key })).status).toBe(200); // cached now
    const account = (await admin.get('/api/admin/accounts?limit=500')).body.items.find((a: { login: string }) => a.login === 'leavingdev');
    expect((await admin.delete(`/api/admin/accounts/${account.id}`)).status).toBe(204);
    expect((await call('/api/sublogin/list', 'alice', { 'x-api-key': key })).body.code).toBe('api_key_invalid');
    expect((await admin.get(`/api/admin/apps/${id}`)).status).toBe(404);
  });

  it('validates registrations', async () => {
    for (const json of [
      {},
      { name: '' },
      { name: 'x'.repeat(101) },
      { name: 'ok', homepage: 'javascript:alert(1)' },
      { name: 'ok', redirectUris: ['http://evil.example.com/cb'] },
      { name: 'ok', redirectUris: ['https://example.com/cb#frag'] },
      { name: 'ok', redirectUris: 'https://example.com/cb' },
      { name: 'ok', status: 'approved' },
    ]) {
      const res = await developer.post('/api/apps', { json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await client().post('/api/apps', { json: { name: 'anon' } })).status).toBe(401);
    // A session's state change needs its CSRF token.
    const noCsrf = await developer.post('/api/apps', { json: { name: 'forged' }, headers: { 'x-csrf-token': 'nope' } });
    expect(noCsrf.body.code).toBe('csrf_failed');
  });

  describe('sending the key', () => {
    let app: { id: string; key: string };
    beforeAll(async () => {
      app = await liveApp('Sender');
    });

    it.each([
      ['X-API-KEY', (k: string) => ({ path: '/api/sublogin/list', headers: { 'X-API-KEY': k } })],
      ['X-TeraCLOUD-API-KEY', (k: string) => ({ path: '/api/sublogin/list', headers: { 'X-TeraCLOUD-API-KEY': k } })],
      ['matrix on the first segment', (k: string) => ({ path: `/api;api_key=${k}/sublogin/list`, headers: {} })],
      ['matrix on the last segment', (k: string) => ({ path: `/api/sublogin/list;api_key=${k}`, headers: {} })],
      ['matrix on a middle segment, with a query', (k: string) => ({ path: `/api/sublogin;api_key=${k}/list?limit=5`, headers: {} })],
      ['matrix beside other matrix parameters', (k: string) => ({ path: `/api;v=2;api_key=${k}/sublogin/list;x`, headers: {} })],
      ['header and matrix with the same value', (k: string) => ({ path: `/api;api_key=${k}/sublogin/list`, headers: { 'x-api-key': k } })],
      ['the same value twice in the matrix', (k: string) => ({ path: `/api;api_key=${k}/sublogin/list;api_key=${k}`, headers: {} })],
      ['on whoami, in the matrix', (k: string) => ({ path: `/api/whoami;api_key=${k}`, headers: {} })],
      ['on the file API', (k: string) => ({ path: `/api;api_key=${k}/file/list?path=/`, headers: {} })],
      ['on the statistics API', (k: string) => ({ path: '/api/stat/storage', headers: { 'x-api-key': k } })],
    ])('accepts it %s', async (_label, make) => {
      const { path, headers } = make(app.key);
      const res = await call(path, 'alice', headers);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      if (path.includes('whoami')) expect(res.body.application).toEqual({ id: app.id, name: 'Sender' });
      if (path.includes('limit=5')) expect(res.body.limit).toBe(5); // the query string survived the rewrite
    });

    it('ignores other matrix parameters where no key is needed, and routes matrix spellings as their plain path', async () => {
      expect((await call('/api/whoami;foo=bar', 'alice')).status).toBe(200);
      expect((await call('/api;x=1/nosuch;api_key=1', 'alice')).status).toBe(404);
      expect((await client().get('/health;x=1')).status).toBe(200);
    });

    it.each([
      ['missing', '/api/sublogin/list', {}, 401, 'api_key_required'],
      ['missing (file API)', '/api/file/list?path=/', {}, 401, 'api_key_required'],
      ['missing (statistics API)', '/api/stat/storage', {}, 401, 'api_key_required'],
      ['lower case', '/api/sublogin/list', { 'x-api-key': UNKNOWN_KEY.toLowerCase() }, 400, 'api_key_malformed'],
      ['31 digits', '/api/sublogin/list', { 'x-api-key': UNKNOWN_KEY.slice(1) }, 400, 'api_key_malformed'],
      ['not hex', '/api/sublogin/list', { 'x-api-key': `${UNKNOWN_KEY.slice(1)}G` }, 400, 'api_key_malformed'],
      ['empty header', '/api/sublogin/list', { 'x-api-key': '' }, 400, 'api_key_malformed'],
      ['malformed on optional whoami', '/api/whoami', { 'x-api-key': 'nope' }, 400, 'api_key_malformed'],
      ['malformed in the matrix', '/api;api_key=nope/sublogin/list', {}, 400, 'api_key_malformed'],
      ['unknown', '/api/sublogin/list', { 'x-api-key': UNKNOWN_KEY }, 403, 'api_key_invalid'],
      ['unknown on optional whoami', '/api/whoami', { 'x-api-key': UNKNOWN_KEY }, 403, 'api_key_invalid'],
    ])('refuses a key that is %s', async (_label, path, headers, status, code) => {
      const res = await call(path, 'alice', headers);
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
    });

    it('refuses a header and a matrix value that differ, and two different matrix values', async () => {
      const other = (await liveApp('Other sender')).key;
      for (const [path, headers] of [
        [`/api;api_key=${app.key}/sublogin/list`, { 'x-api-key': other }],
        [`/api;api_key=${app.key}/sublogin/list;api_key=${other}`, {}],
        ['/api/sublogin/list', { 'x-api-key': app.key, 'x-teracloud-api-key': other }],
        [`/api/whoami;api_key=${other}`, { 'x-api-key': app.key }],
      ] as const) {
        const res = await call(path, 'alice', headers);
        expect(res.status, path).toBe(400);
        expect(res.body.code).toBe('api_key_malformed');
      }
    });

    it('is checked after authentication and before the ACL', async () => {
      expect((await alice.post('/api/sublogin/create', { json: { name: 'norules', password: 'norules-password-1' } })).status).toBe(201);
      const asNoRules = (headers: Record<string, string>) => rawRequest(`${url}/api/sublogin/list`, { headers: { authorization: basicHeader('alice-norules', 'norules-password-1'), ...headers } });
      // Wrong password: the credential step answers first, whatever the key.
      expect((await rawRequest(`${url}/api/sublogin/list`, { headers: { authorization: basicHeader('alice-norules', 'wrong-password'), 'x-api-key': 'nope' } })).body.code).toBe('invalid_credentials');
      // No key: refused before the ACL is asked (a sublogin without rules would get acl_denied).
      expect((await asNoRules({})).body.code).toBe('api_key_required');
      expect((await asNoRules({ 'x-api-key': UNKNOWN_KEY })).body.code).toBe('api_key_invalid');
      // With a valid key, the ACL decides.
      expect((await asNoRules({ 'x-api-key': app.key })).body.code).toBe('acl_denied');
    });

    it('needs no key on whoami, and none with a session anywhere', async () => {
      const who = await call('/api/whoami', 'alice');
      expect(who.status).toBe(200);
      expect(who.body.application).toBeNull();
      expect((await alice.get('/api/sublogin/list')).status).toBe(200);
      expect((await alice.get('/api/stat/storage')).status).toBe(200);
      // A key a session sends is still checked (it would name the application).
      expect((await alice.get('/api/whoami', { headers: { 'x-api-key': 'nope' } })).body.code).toBe('api_key_malformed');
      expect((await alice.get('/api/whoami', { headers: { 'x-api-key': app.key } })).body.application.id).toBe(app.id);
    });

    it('refuses the key of an application that is not approved, whatever the database holds', async () => {
      // Keys are only ever issued to approved applications; plant some to prove the guard checks the status too.
      const keyRing = appRef.get(KeyRing);
      const repo = appRef.get(DataSource).getRepository(ApiKey);
      for (const action of [null, 'reject'] as const) {
        const id = await register(`Not approved ${action ?? 'pending'}`);
        if (action) expect((await admin.post(`/api/admin/apps/${id}/${action}`)).status).toBe(200);
        const planted = UNKNOWN_KEY.slice(0, 28) + (action ? 'AAAA' : 'BBBB');
        await repo.insert({ id: randomUUID(), applicationId: id, hash: keyRing.hmac(API_KEY_HMAC_PURPOSE, planted), last4: planted.slice(-4), status: 'active', createdAt: new Date(), retiredAt: null, lastUsedAt: null, lastUsedIp: null });
        const res = await call('/api/sublogin/list', 'alice', { 'x-api-key': planted });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('api_key_invalid');
      }
    });
  });

  describe('per-user blocks', () => {
    it('stops an application for the user who blocked it (and their sublogins) only, at once', async () => {
      const { id, key } = await liveApp('Blockable');
      const sub = await alice.post('/api/sublogin/create', { json: { name: 'sync', password: 'sync-password-1', rules: [{ path: '/sublogin/', effect: 'allow' }] } });
      expect(sub.status).toBe(201);
      const asSub = { authorization: basicHeader('alice-sync', 'sync-password-1'), 'x-api-key': key };
      expect((await call('/api/sublogin/list', 'alice', { 'x-api-key': key })).status).toBe(200);
      expect((await rawRequest(`${url}/api/sublogin/list`, { headers: asSub })).status).toBe(200);

      expect((await alice.post(`/api/me/apps/${id}/block`, { headers: { 'x-csrf-token': 'forged' } })).body.code).toBe('csrf_failed');
      const blocked = await alice.post(`/api/me/apps/${id}/block`);
      expect(blocked.status).toBe(200);
      expect(blocked.body).toMatchObject({ id, name: 'Blockable', blocked: true, blockedAt: expect.any(String) });
      expect((await alice.post(`/api/me/apps/${id}/block`)).body.blocked).toBe(true); // idempotent

      for (const res of [
        await call('/api/sublogin/list', 'alice', { 'x-api-key': key }),
        await call('/api/whoami', 'alice', { 'x-api-key': key }),
        await rawRequest(`${url}/api/sublogin/list`, { headers: asSub }),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('api_key_blocked');
      }
      // Everyone else still uses it; alice's own session needs no key at all.
      expect((await call('/api/sublogin/list', 'bob', { 'x-api-key': key })).status).toBe(200);
      expect((await alice.get('/api/sublogin/list')).status).toBe(200);

      // A key's use is recorded after the request is answered (ApiKeyUsageService), so the
      // listing may lag the call by a write.
      await vi.waitFor(async () => {
        const listed = (await alice.get('/api/me/apps')).body.find((a: { id: string }) => a.id === id);
        expect(listed).toMatchObject({ blocked: true, firstUsedAt: expect.any(String), lastUsedIp: '127.0.0.1' });
        expect((await bob.get('/api/me/apps')).body.find((a: { id: string }) => a.id === id)).toMatchObject({ blocked: false, lastUsedIp: '127.0.0.1' });
      }, { timeout: 2_000 });

      const unblocked = await alice.post(`/api/me/apps/${id}/unblock`);
      expect(unblocked.body).toMatchObject({ blocked: false, blockedAt: null });
      expect((await call('/api/sublogin/list', 'alice', { 'x-api-key': key })).status).toBe(200);
      expect((await alice.post(`/api/me/apps/${randomUUID()}/block`)).status).toBe(404);
      expect((await alice.post('/api/me/apps/not-a-uuid/block')).status).toBe(400);
    });

    it('lists applications the user has used or blocked, and only those', async () => {
      const carol = await customer('carol');
      expect((await carol.get('/api/me/apps')).body).toEqual([]);
      const { id: usedId, key } = await liveApp('Used by carol');
      const { id: blockedId } = await liveApp('Blocked by carol, never used');
      await liveApp('Unrelated to carol');
      expect((await call('/api/whoami', 'carol', { 'x-api-key': key })).status).toBe(200);
      expect((await carol.post(`/api/me/apps/${blockedId}/block`)).status).toBe(200);
      await expect
        .poll(async () => ((await carol.get('/api/me/apps')).body as Array<{ id: string; blocked: boolean }>).map((a) => [a.id, a.blocked]).sort(), { timeout: 2_000 })
        .toEqual([[usedId, false], [blockedId, true]].sort());
    });
  });

  it('declares the key policy in the route inventory and the OpenAPI document', async () => {
    const routes = appRef.get(RouteTable).routes();
    const policy = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path)?.apiKey;
    expect(policy('GET', '/api/sublogin/list')).toBe('required');
    expect(policy('GET', '/api/file/list')).toBe('required');
    expect(policy('GET', '/api/stat/storage')).toBe('required');
    expect(policy('GET', '/api/whoami')).toBe('optional');
    expect(policy('POST', '/api/apps')).toBeNull();
    expect(routes.find((r) => r.path === '/api/sublogin/list')?.access).toMatch(/ api-key:required /);

    const doc = (await client().get('/docs-json')).body;
    expect(doc.components.securitySchemes.api_key).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-KEY' });
    expect(doc.components.securitySchemes.api_key.description).toContain(';api_key=');
    expect(doc.paths['/api/sublogin/list'].get.security).toEqual([{ basic: [], api_key: [] }, { bearer: [], api_key: [] }, { otp: [], api_key: [] }, { session: [] }]);
    expect(doc.paths['/api/whoami'].get.security).toEqual(expect.arrayContaining([{ basic: [] }, { basic: [], api_key: [] }, { session: [] }]));
    expect(doc.paths['/api/apps'].post.security).toEqual([{ session: [] }]);
  });

  it('writes no key into a log line or an audit record', async () => {
    const { key } = await liveApp('Quiet');
    await call(`/api;api_key=${key}/sublogin/list`, 'alice');
    await call(`/api/whoami;api_key=${key}`, 'alice', { 'x-api-key': key });
    await call('/api/sublogin/list', 'alice', { 'x-api-key': key.toLowerCase() });
    await call(`/api/sublogin/list;api_key=${key.slice(1)}`, 'alice');
    await call('/api/sublogin/list', 'alice', { 'x-api-key': UNKNOWN_KEY });
    await call('/api/sublogin/list', 'alice');

    const audit = await admin.get('/api/admin/audit?limit=1000');
    expect(audit.status).toBe(200);
    const types = new Set((audit.body as Array<{ type: string }>).map((e) => e.type));
    for (const t of ['apps.register', 'admin.apps.approve', 'apps.key.issue', 'apps.key.rotate', 'admin.apps.reject', 'admin.apps.revoke', 'me.apps.block', 'me.apps.unblock', 'auth.api_key']) expect(types, t).toContain(t);
    const failures = (audit.body as Array<{ type: string; outcome: string; code: string }>).filter((e) => e.type === 'auth.api_key' && e.outcome === 'failure').map((e) => e.code);
    expect(new Set(failures)).toEqual(new Set(['api_key_required', 'api_key_malformed', 'api_key_invalid', 'api_key_blocked']));

    const logText = logs.join('');
    expect(logText).toContain(';api_key=[redacted]'); // the request lines are there, cut
    expect(seenKeys.length).toBeGreaterThan(5);
    for (const k of [...seenKeys, key.slice(1), key.toLowerCase()]) {
      expect(audit.text).not.toContain(k);
      expect(logText).not.toContain(k);
    }
  });
});
