import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerificationCache } from '../../src/auth/verification-cache.js';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { SharedState } from '../../src/shared-state/shared-state.js';
import { OwnRedis } from '../faults/support/redis-server.js';
import { TcpProxy } from '../faults/support/tcp-proxy.js';
import { approvedApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startApp, type TestApp } from '../support/test-app.js';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { credentialChangeHeard } from './broadcasts.js';

/**
 * Faults of the shared servers while instances run (contract §9). Redis: our own redis-server,
 * stopped and started again under two instances on one PostgreSQL database (never the machine's
 * shared Redis). PostgreSQL: reached through a TCP relay that the test cuts (never the shared
 * server itself).
 *
 * What each guarantee does while Redis is down (README, "Faults"):
 * - OTP replay: fails closed, 503 service_unavailable; accepted tokens are also recorded in the
 *   database, so a Redis that comes back empty does not make a used token new again.
 * - Revocation: caches that rely on the broadcast (verification, API keys, ACL) serve nothing
 *   while it may go unheard, and drop everything when it is back; changes take effect at once
 *   everywhere because every lookup goes to the database.
 * - Throttling: falls back to per-instance counters (limits hold per instance).
 * - /ready: 200 with sharedState false. The outage shows in the body, but no instance leaves the
 *   rotation: every one would, and all of the above keeps working without Redis.
 */
describe('Redis stopped mid-run, under two instances', () => {
  let redis: OwnRedis;
  let env: TestEnv;
  let a: TestApp;
  let b: TestApp;
  let key: string;
  let appId: string;
  let admin: HttpClient;
  let issuedUser: HttpClient;
  let owner: HttpClient;
  let p1: string;
  let p2: string;
  let otpUsedBefore: string;

  const live = (t: TestApp) => t.app.get(SharedState).broadcastLive();
  const whoami = (t: TestApp, login: string, password: string, localAddress?: string) => rawRequest(`${t.url}/api/whoami`, { localAddress, headers: { authorization: basicHeader(login, password) } });
  const otpCall = (t: TestApp, otp: string) => rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp)}`);
  const freshOtp = (salt: string) => makeOtp('roamer', 'roamer-password', Math.floor(Date.now() / 1000) + 300, salt);
  const listAsOps = (t: TestApp) => rawRequest(`${t.url}/api/file/list?path=%2F`, { headers: { authorization: basicHeader('roamer-ops', 'ops-password-1'), 'x-api-key': key } });

  beforeAll(async () => {
    if (!process.env.PORTCULLIS_TEST_POSTGRES) throw new Error('fault tests need PORTCULLIS_TEST_POSTGRES (see .ci/run)');
    redis = await OwnRedis.start();
    env = await createTestEnv({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'faults:', THROTTLE_FREE_FAILURES: '2', THROTTLE_BASE_DELAY_MS: '1', THROTTLE_MAX_DELAY_MS: '2', THROTTLE_LOGIN_SUBNET_MAX: '5' });
    a = await startApp(env.env);
    b = await startApp(env.env);
    admin = await a.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'roamer', password: 'roamer-password', email: 'r@example.com', registeredAt: '2020-01-01T00:00:00Z' } })).status).toBe(201);
    expect((await admin.post('/api/admin/accounts', { json: { login: 'issued', password: 'issued-login-pw', email: 'i@example.com' } })).status).toBe(201);
    issuedUser = a.client();
    await issuedUser.login('issued', 'issued-login-pw');
    p1 = (await issuedUser.post('/api/me/app-connection/enable')).body.password;
    owner = a.client();
    await owner.login('roamer', 'roamer-password');
    expect((await owner.post('/api/sublogin/create', { json: { name: 'ops', password: 'ops-password-1', rules: [{ path: '/file/list', effect: 'allow' }] } })).status).toBe(201);
    ({ key, id: appId } = await approvedApplication(a));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await env?.dispose();
    await redis?.stop();
  });

  it('with Redis up: B caches, an OTP is accepted once', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await whoami(b, 'issued', p1)).status).toBe(200);
      expect((await listAsOps(b)).status).toBe(200);
    }
    // B also caches who `issued` is and its sealed secret, for OTPs.
    expect((await otpCall(b, makeOtp('issued', p1, Math.floor(Date.now() / 1000) + 300, 'warm-up'))).status).toBe(200);
    otpUsedBefore = freshOtp('before-the-outage');
    expect((await otpCall(b, otpUsedBefore)).status).toBe(200);
    expect((await otpCall(a, otpUsedBefore)).body.code).toBe('otp_replayed');
    expect(live(a) && live(b)).toBe(true);
  });

  it('with Redis down: both stay ready, OTP fails closed, caches serve nothing, changes on A hold on B at once', async () => {
    await redis.stop();
    await expect.poll(() => live(a) || live(b), { timeout: 3_000, interval: 20 }).toBe(false);

    // Ready (200): the outage is in the body, and neither instance leaves the rotation.
    for (const t of [a, b]) {
      const ready = await rawRequest(`${t.url}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', database: true, storage: true, sharedState: false });
    }

    // OTP: refused, never accepted without its claim.
    for (const t of [a, b]) {
      const res = await otpCall(t, freshOtp(`during-${t.url}`));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('service_unavailable');
    }

    // Basic still works, verified against the database.
    expect((await whoami(b, 'issued', p1)).status).toBe(200);

    // A password reissued on A (its broadcast cannot go out): B refuses the old one at once.
    const reissued = await issuedUser.post('/api/me/app-connection/reissue');
    expect(reissued.status).toBe(200);
    p2 = reissued.body.password;
    expect((await whoami(b, 'issued', p1)).status).toBe(401);
    expect((await whoami(b, 'issued', p2)).status).toBe(200);

    // An ACL rule replaced on A: B decides with the new rules at once.
    expect((await owner.put('/api/sublogin/rules', { json: { name: 'ops', rules: [{ path: '/file/list', effect: 'deny' }] } })).status).toBe(200);
    expect((await listAsOps(b)).body.code).toBe('acl_denied');

    // An application revoked on A: B refuses its key at once.
    expect((await admin.post(`/api/admin/apps/${appId}/revoke`)).status).toBe(200);
    expect((await listAsOps(b)).body.code).toBe('api_key_invalid');

    // Throttling goes on, with this instance's own counters.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await whoami(b, 'roamer', `wrong-${i}`, '127.0.0.21')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect((await whoami(b, 'roamer', 'roamer-password', '127.0.0.22')).status).toBe(200);

    // Sessions still sign in.
    const c = b.client();
    await c.login('roamer', 'roamer-password');
    expect((await c.get('/api/me')).status).toBe(200);
  });

  it('with Redis back (and empty): everything resumes, and no used OTP is new again', async () => {
    await redis.start();
    await expect.poll(() => live(a) && live(b), { timeout: 10_000, interval: 50 }).toBe(true);
    expect((await rawRequest(`${a.url}/ready`)).status).toBe(200);
    expect((await rawRequest(`${b.url}/ready`)).status).toBe(200);

    // Redis lost the replay record of the OTP used before; the database kept it.
    expect((await otpCall(a, otpUsedBefore)).body.code).toBe('otp_replayed');
    const otp = freshOtp('after-the-outage');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => otpCall(i % 2 ? a : b, otp)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.body?.code === 'otp_replayed')).toHaveLength(19);

    // What B cached before the outage is gone: an OTP made with the password replaced meanwhile fails.
    const expire = Math.floor(Date.now() / 1000) + 300;
    expect((await otpCall(b, makeOtp('issued', p1, expire, 'stale-secret'))).body.code).toBe('invalid_credentials');
    expect((await otpCall(b, makeOtp('issued', p2, expire, 'current-secret'))).status).toBe(200);

    // The state of the outage stays, and B caches again: a reissue on A is refused on B by its first
    // request after the broadcast (see broadcasts.ts).
    expect((await whoami(b, 'issued', p1)).status).toBe(401);
    expect((await whoami(b, 'issued', p2)).status).toBe(200);
    const hits = b.app.get(VerificationCache).hits;
    expect((await whoami(b, 'issued', p2)).status).toBe(200);
    expect(b.app.get(VerificationCache).hits).toBe(hits + 1);
    const heard = credentialChangeHeard(b, 'issued');
    const p3 = (await issuedUser.post('/api/me/app-connection/reissue')).body.password as string;
    await heard;
    expect((await whoami(b, 'issued', p2)).status).toBe(401);
    expect((await whoami(b, 'issued', p3)).status).toBe(200);
  });
});

describe('Redis not answering (a partition) under a running instance', () => {
  let proxy: TcpProxy;
  let env: TestEnv;
  let app: TestApp;

  beforeAll(async () => {
    const redisBase = process.env.PORTCULLIS_TEST_REDIS;
    if (!process.env.PORTCULLIS_TEST_POSTGRES || !redisBase) throw new Error('fault tests need PORTCULLIS_TEST_POSTGRES and PORTCULLIS_TEST_REDIS (see .ci/run)');
    // The shared Redis through a relay that the test stalls (only this app's connections).
    const server = new URL(redisBase);
    proxy = await new TcpProxy({ host: server.hostname, port: Number(server.port || 6379) }).open();
    env = await createTestEnv();
    const viaProxy = new URL(env.env.REDIS_URL!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    app = await startApp({ ...env.env, REDIS_URL: viaProxy.toString() });
  });
  afterAll(async () => {
    proxy?.resume();
    await app?.close();
    await proxy?.cut();
    await env?.dispose();
  });

  it('keeps serving Basic while Redis holds its connections open and answers nothing', async () => {
    const admin = await app.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'stalled', password: 'stalled-password', email: 's@example.com', registeredAt: '2020-01-01T00:00:00Z' } })).status).toBe(201);
    proxy.stall();
    try {
      // The throttle's counters and the OTP claims cannot reach Redis: they fall back (or refuse)
      // once a command times out, rather than wait for the connection to come back.
      expect((await rawRequest(`${app.url}/api/whoami`, { headers: { authorization: basicHeader('stalled', 'stalled-password') } })).status).toBe(200);
      expect((await rawRequest(`${app.url}/api/whoami`, { headers: { authorization: basicHeader('stalled', 'wrong-password') } })).status).toBe(401);
    } finally {
      proxy.resume();
    }
    await expect.poll(async () => (await rawRequest(`${app.url}/ready`)).body.sharedState, { timeout: 10_000, interval: 100 }).toBe(true);
  });

  it('answers /ready 200 with sharedState false instead of waiting for Redis', async () => {
    expect((await rawRequest(`${app.url}/ready`)).body).toEqual({ status: 'ready', database: true, storage: true, sharedState: true });
    proxy.stall();
    const stalled = await rawRequest(`${app.url}/ready`);
    expect(stalled.status).toBe(200);
    expect(stalled.body).toEqual({ status: 'ready', database: true, storage: true, sharedState: false });
    proxy.resume();
    await expect.poll(async () => (await rawRequest(`${app.url}/ready`)).body.sharedState, { timeout: 10_000, interval: 100 }).toBe(true);
  });
});

describe('the database lost while an instance runs', () => {
  let proxy: TcpProxy;
  let env: TestEnv;
  let app: TestApp;

  beforeAll(async () => {
    const pgBase = process.env.PORTCULLIS_TEST_POSTGRES;
    if (!pgBase) throw new Error('fault tests need PORTCULLIS_TEST_POSTGRES (see .ci/run)');
    const server = new URL(pgBase);
    proxy = await new TcpProxy({ host: server.hostname, port: Number(server.port || 5432) }).open();
    env = await createTestEnv();
    const viaProxy = new URL(env.env.DATABASE_URL!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    app = await startApp({ ...env.env, DATABASE_URL: viaProxy.toString() });
  });
  afterAll(async () => {
    await proxy?.open().catch(() => undefined); // so that close() can end its connections
    await app?.close();
    await proxy?.cut();
    await env?.dispose();
  });

  it('answers /ready with 503 while the database is unreachable, and recovers when it is back', async () => {
    expect((await rawRequest(`${app.url}/ready`)).status).toBe(200);
    const operator = await app.admin(); // a session, looked up in the database on each request
    await proxy.cut();
    const lost = await rawRequest(`${app.url}/ready`);
    expect(lost.status).toBe(503);
    expect(lost.body).toMatchObject({ status: 'not_ready', database: false });
    // Liveness is the process, not its dependencies: a supervisor must not restart it for this.
    expect((await rawRequest(`${app.url}/health`)).status).toBe(200);
    // A request that needs the database fails fast, not a hang, and says it is temporary:
    // 503 service_unavailable with Retry-After, never 500.
    const started = Date.now();
    const login = await rawRequest(`${app.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: 'operator-password-123' }) });
    expect(login.status).toBe(503);
    expect(login.body).toMatchObject({ statusCode: 503, code: 'service_unavailable' });
    expect(login.headers['retry-after']).toBe('5');
    expect(Date.now() - started).toBeLessThan(10_000);
    // The same through the guard (the session's lookup) and through a handler's own query.
    const guarded = await operator.get('/api/admin/accounts');
    expect(guarded.status).toBe(503);
    expect(guarded.body.code).toBe('service_unavailable');

    await proxy.open();
    await expect.poll(async () => (await rawRequest(`${app.url}/ready`)).status, { timeout: 10_000, interval: 100 }).toBe(200);
    expect((await (await app.admin()).get('/api/admin/accounts')).status).toBe(200);
  });
});
