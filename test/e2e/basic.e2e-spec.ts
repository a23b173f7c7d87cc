import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

type Started = TestApp & { env: TestEnv; stop(): Promise<void> };

describe('HTTP Basic and the external application connection', () => {
  let t: Started;
  let admin: HttpClient;

  const whoami = (login: string, password: string, encoding: BufferEncoding = 'utf8') =>
    rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader(login, password, encoding) } });

  async function customer(login: string, password: string, registeredAt?: string): Promise<HttpClient> {
    const res = await admin.post('/api/admin/accounts', { json: { login, password, email: `${login}@example.com`, ...(registeredAt ? { registeredAt } : {}) } });
    expect(res.status).toBe(201);
    const c = t.client();
    await c.login(login, password);
    return c;
  }

  beforeAll(async () => {
    t = await startTestApp({ THROTTLE_BASE_DELAY_MS: '1', THROTTLE_MAX_DELAY_MS: '2', THROTTLE_FREE_FAILURES: '3', THROTTLE_LOGIN_SUBNET_MAX: '8' });
    admin = await t.admin();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('challenges a request without credentials (non-preemptive clients retry with them)', async () => {
    const res = await rawRequest(`${t.url}/api/whoami`);
    expect(res.status).toBe(401);
    // contract §4.1: where a route also accepts Bearer, its challenge is added.
    expect(res.headers['www-authenticate']).toBe('Basic realm="Portcullis", charset="UTF-8", Bearer realm="Portcullis", Cookie realm="Portcullis", form-action="/sign-in", cookie-name="portcullis_session"');
    expect(res.body.code).toBe('authentication_required');
  });

  it('accepts a legacy account\'s login password, UTF-8 and ISO-8859-1 encoded', async () => {
    await customer('legacy', 'pässwörd-legacy', '2020-01-01T00:00:00Z');
    const utf8 = await whoami('legacy', 'pässwörd-legacy');
    expect(utf8.status).toBe(200);
    expect(utf8.body).toEqual({ login: 'legacy', account: 'legacy', sublogin: null, method: 'basic', application: null, scopes: null });
    expect((await whoami('legacy', 'pässwörd-legacy', 'latin1')).status).toBe(200);
    // Cached now: still right, and a wrong password is still wrong.
    expect((await whoami('legacy', 'pässwörd-legacy')).status).toBe(200);
    expect((await whoami('legacy', 'pässwörd-legacY')).body.code).toBe('invalid_credentials');
  });

  it('refuses a new account until it enables the connection, then takes only the issued password', async () => {
    const me = await customer('fresh', 'fresh-login-password');
    expect((await me.get('/api/me/app-connection')).body).toMatchObject({ state: 'disabled', basicAccepts: null, issuedAt: null });

    const disabled = await whoami('fresh', 'fresh-login-password');
    expect(disabled.status).toBe(401);
    expect(disabled.body.code).toBe('basic_disabled');
    expect(disabled.headers['www-authenticate']).toContain('Basic realm=');
    // A wrong password does not learn that Basic is disabled (no account probing).
    expect((await whoami('fresh', 'not-the-password')).body.code).toBe('invalid_credentials');
    expect((await whoami('nosuchuser', 'not-the-password')).body.code).toBe('invalid_credentials');

    const enabled = await me.post('/api/me/app-connection/enable');
    expect(enabled.status).toBe(200);
    expect(enabled.body.state).toBe('issued');
    expect(enabled.body.password).toMatch(/^[2-9a-km-z]{4}(-[2-9a-km-z]{4}){6}$/);
    const issued: string = enabled.body.password;

    expect((await whoami('fresh', issued)).status).toBe(200);
    expect((await whoami('fresh', 'fresh-login-password')).body.code).toBe('invalid_credentials');
    // Shown once: reading the state again never shows it.
    const again = await me.get('/api/me/app-connection');
    expect(again.body).not.toHaveProperty('password');
    // Last use is written in the background (at most once a minute), so wait for it.
    await expect.poll(async () => (await me.get('/api/me/app-connection')).body.lastUsedIp, { timeout: 2_000 }).toBe('127.0.0.1');

    expect((await me.post('/api/me/app-connection/enable')).body.code).toBe('app_connection_conflict');

    const reissued = await me.post('/api/me/app-connection/reissue');
    expect(reissued.body.password).not.toBe(issued);
    // The old password (cached a moment ago) stops at once; the new one works.
    expect((await whoami('fresh', issued)).body.code).toBe('invalid_credentials');
    expect((await whoami('fresh', reissued.body.password)).status).toBe(200);

    expect((await me.post('/api/me/app-connection/disable')).body).toMatchObject({ state: 'disabled', basicAccepts: null });
    expect((await whoami('fresh', reissued.body.password)).body.code).toBe('invalid_credentials');
  });

  it('takes a legacy account out of legacy for good on reissue', async () => {
    const me = await customer('oldtimer', 'oldtimer-password', '2019-05-05T00:00:00Z');
    expect((await whoami('oldtimer', 'oldtimer-password')).status).toBe(200);
    const reissued = await me.post('/api/me/app-connection/reissue');
    expect(reissued.body.state).toBe('issued');
    expect((await whoami('oldtimer', 'oldtimer-password')).body.code).toBe('invalid_credentials');
    expect((await whoami('oldtimer', reissued.body.password)).status).toBe(200);
    await me.post('/api/me/app-connection/disable');
    expect((await me.post('/api/me/app-connection/reissue')).body.code).toBe('app_connection_conflict');
    expect((await me.post('/api/me/app-connection/enable')).body.state).toBe('issued'); // never legacy again
  });

  it('stops Basic at once when the operator suspends the account or the password changes', async () => {
    const me = await customer('suspendme', 'suspend-password', '2020-02-02T00:00:00Z');
    expect((await whoami('suspendme', 'suspend-password')).status).toBe(200);
    const id = (await admin.get('/api/admin/accounts?limit=500')).body.items.find((a: { login: string }) => a.login === 'suspendme').id;
    await admin.post(`/api/admin/accounts/${id}/suspend`);
    expect((await whoami('suspendme', 'suspend-password')).body.code).toBe('invalid_credentials');
    await admin.post(`/api/admin/accounts/${id}/unsuspend`);
    expect((await whoami('suspendme', 'suspend-password')).status).toBe(200);
    expect((await me.post('/api/me/password', { json: { current: 'suspend-password', next: 'changed-password' } })).status).toBe(204);
    expect((await whoami('suspendme', 'suspend-password')).body.code).toBe('invalid_credentials');
    expect((await whoami('suspendme', 'changed-password')).status).toBe(200);
  });

  it.each([
    ['a scheme with no credentials', 'Basic'],
    ['invalid base64', 'Basic !!!!'],
    ['no colon', `Basic ${Buffer.from('nocolon').toString('base64')}`],
    ['an empty user-id', `Basic ${Buffer.from(':password').toString('base64')}`],
    ['an empty password', `Basic ${Buffer.from('legacy:').toString('base64')}`],
    ['a NUL in the password', `Basic ${Buffer.from('legacy:pa\u0000ss').toString('base64')}`],
    ['a control character in the user-id', `Basic ${Buffer.from('leg\u0007acy:pass').toString('base64')}`],
    ['two tokens', `Basic ${Buffer.from('a:b').toString('base64')} extra`],
    ['an over-long header', `Basic ${Buffer.from(`legacy:${'x'.repeat(9000)}`).toString('base64')}`],
  ])('answers 400 malformed_authorization to %s', async (_label, authorization) => {
    const res = await rawRequest(`${t.url}/api/whoami`, { headers: { authorization } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_authorization');
  });

  it('keeps a colon inside a password, and treats other schemes as "not mine"', async () => {
    await customer('colon', 'pass:with:colons', '2020-01-01T00:00:00Z');
    expect((await whoami('colon', 'pass:with:colons')).status).toBe(200);
    const digest = await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: 'Digest username="colon"' } });
    expect(digest.status).toBe(401);
    expect(digest.body.code).toBe('authentication_required');
  });

  it('throttles a guesser (429 + Retry-After) while the owner gets in from another address', async () => {
    await customer('target', 'target-password', '2020-01-01T00:00:00Z');
    const guesser = '127.0.0.2';
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await rawRequest(`${t.url}/api/whoami`, { localAddress: guesser, headers: { authorization: basicHeader('target', `guess-${i}`) } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body.code).toBe('too_many_requests');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses.slice(0, 8).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(8)).toEqual([429, 429]);
    // The right password from the guesser's address is refused too: the address is blocked, not the account...
    expect((await rawRequest(`${t.url}/api/whoami`, { localAddress: guesser, headers: { authorization: basicHeader('target', 'target-password') } })).status).toBe(429);
    // ...and the owner elsewhere is not.
    const owner = await rawRequest(`${t.url}/api/whoami`, { localAddress: '127.0.0.3', headers: { authorization: basicHeader('target', 'target-password') } });
    expect(owner.status).toBe(200);
  });

  it('counts a stale client repeating one wrong password once, and shows it to the owner', async () => {
    const me = await customer('stale', 'stale-password', '2020-01-01T00:00:00Z');
    for (let i = 0; i < 20; i++) {
      const res = await rawRequest(`${t.url}/api/whoami`, { localAddress: '127.0.0.4', headers: { authorization: basicHeader('stale', 'old-password'), 'user-agent': 'OldSyncClient/1.0' } });
      expect(res.status).toBe(401); // never 429: it is one wrong credential, however often repeated
    }
    expect((await rawRequest(`${t.url}/api/whoami`, { localAddress: '127.0.0.4', headers: { authorization: basicHeader('stale', 'stale-password') } })).status).toBe(200);
    const security = await me.get('/api/me/security');
    expect(security.status).toBe(200);
    expect(security.body.staleClients).toHaveLength(1);
    expect(security.body.staleClients[0]).toMatchObject({ repeats: 16, ip: '127.0.0.4', userAgent: 'OldSyncClient/1.0' });
    expect(security.text).not.toContain('old-password');
  });
});

describe('credentials need TLS unless they come from loopback', () => {
  let t: Started;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: '127.0.0.1', BOOTSTRAP_ADMIN_LOGIN: 'admin' });
    const admin = await t.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'proxied', password: 'proxied-password', email: 'p@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const viaProxy = (headers: Record<string, string>) =>
    rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader('proxied', 'proxied-password'), 'x-forwarded-for': '203.0.113.9', ...headers } });

  it('refuses plain HTTP from a remote client behind the trusted proxy', async () => {
    const res = await viaProxy({});
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('tls_required');
    const login = await rawRequest(`${t.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' }, body: JSON.stringify({ login: 'admin', password: 'x' }) });
    expect(login.body.code).toBe('tls_required');
  });

  it('accepts it when the trusted proxy says the client used HTTPS', async () => {
    expect((await viaProxy({ 'x-forwarded-proto': 'https' })).status).toBe(200);
  });
});

describe('ALLOW_INSECURE_HTTP', () => {
  it('lets plain HTTP credentials through from remote clients when set', async () => {
    const t = await startTestApp({ TRUST_PROXY: '127.0.0.1', ALLOW_INSECURE_HTTP: 'true' });
    try {
      const admin = await t.admin();
      await admin.post('/api/admin/accounts', { json: { login: 'insecure', password: 'insecure-password', email: 'i@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
      const res = await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader('insecure', 'insecure-password'), 'x-forwarded-for': '203.0.113.9' } });
      expect(res.status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});
