import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import type { HttpClient } from '../support/http-client.js';
import { approvedApplication } from '../support/api-key.js';
import { rawRequest } from '../support/raw-request.js';
import { simultaneousGets } from '../support/simultaneous-requests.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

const now = () => Math.floor(Date.now() / 1000);
const salt = () => Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('base64').replaceAll('/', ',');

describe('one-time passwords LOGIN:EXPIRE:SALT:AUTH', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  let issued: string;

  const get = (otp: string) => rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp)}`);

  beforeAll(async () => {
    t = await startTestApp({ OTP_MAX_TTL: '600' });
    admin = await t.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'legacy', password: 'legacy-password', email: 'l@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    await admin.post('/api/admin/accounts', { json: { login: 'modern', password: 'modern-password', email: 'm@example.com' } });
    const me = t.client();
    await me.login('modern', 'modern-password');
    issued = (await me.post('/api/me/app-connection/enable')).body.password;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('accepts an MD5 OTP once by GET, and refuses it when replayed', async () => {
    const otp = makeOtp('legacy', 'legacy-password', now() + 60, salt(), 'md5');
    const first = await get(otp);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ login: 'legacy', method: 'otp' });
    const again = await get(otp);
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('otp_replayed');
    // Upper-case AUTH is the same token.
    const [l, e, s, a] = otp.split(':');
    expect((await get(`${l}:${e}:${s}:${a!.toUpperCase()}`)).body.code).toBe('otp_replayed');
  });

  it('accepts an HMAC-SHA256 OTP made with the issued password, SALT holding colons', async () => {
    const hmac = makeOtp('modern', issued, now() + 60, 'salt:with:colons', 'hmac-sha256');
    const res = await get(hmac);
    expect(res.status).toBe(200);
    expect(res.body.login).toBe('modern');
    // The login password is not the modern account's OTP secret.
    expect((await get(makeOtp('modern', 'modern-password', now() + 60, salt()))).body.code).toBe('invalid_credentials');
  });

  it.each([
    ['missing fields', 'legacy:123'],
    ['a non-numeric EXPIRE', 'legacy:soon:salt:00112233445566778899aabbccddeeff'],
    ['a huge EXPIRE', `legacy:${'9'.repeat(40)}:salt:00112233445566778899aabbccddeeff`],
    ['an AUTH of the wrong length', 'legacy:1:salt:abc'],
    ['an empty login', ':1:salt:00112233445566778899aabbccddeeff'],
  ])('refuses %s as otp_malformed', async (_label, otp) => {
    const res = await get(otp);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('otp_malformed');
  });

  it('refuses expired, too-far-ahead, tampered and unknown ones with their codes', async () => {
    expect((await get(makeOtp('legacy', 'legacy-password', now() - 5, salt()))).body.code).toBe('otp_expired');
    expect((await get(makeOtp('legacy', 'legacy-password', now() + 3600, salt()))).body.code).toBe('otp_too_long');
    const good = makeOtp('legacy', 'legacy-password', now() + 60, salt());
    const tampered = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    expect((await get(tampered)).body.code).toBe('invalid_credentials');
    expect((await get(makeOtp('ghost', 'whatever', now() + 60, salt()))).body.code).toBe('invalid_credentials');
    // Still unused after the tampered attempt: the real one works.
    expect((await get(good)).status).toBe(200);
  });

  it('refuses a suspended account and a disabled connection', async () => {
    const created = await admin.post('/api/admin/accounts', { json: { login: 'shortlived', password: 'shortlived-pass', email: 's@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    await admin.post(`/api/admin/accounts/${created.body.id}/suspend`);
    expect((await get(makeOtp('shortlived', 'shortlived-pass', now() + 60, salt()))).body.code).toBe('invalid_credentials');
    const me = t.client();
    await admin.post(`/api/admin/accounts/${created.body.id}/unsuspend`);
    await me.login('shortlived', 'shortlived-pass');
    await me.post('/api/me/app-connection/disable');
    expect((await get(makeOtp('shortlived', 'shortlived-pass', now() + 60, salt()))).body.code).toBe('invalid_credentials');
  });

  it('follows a change of the secret at once (the cached credential is dropped)', async () => {
    await admin.post('/api/admin/accounts', { json: { login: 'rotator', password: 'rotator-password', email: 'r@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect((await get(makeOtp('rotator', 'rotator-password', now() + 60, salt()))).status).toBe(200);
    const me = t.client();
    await me.login('rotator', 'rotator-password');
    const issued = (await me.post('/api/me/app-connection/reissue')).body.password as string;
    expect((await get(makeOtp('rotator', 'rotator-password', now() + 60, salt()))).body.code).toBe('invalid_credentials');
    expect((await get(makeOtp('rotator', issued, now() + 60, salt()))).status).toBe(200);
    await me.post('/api/me/app-connection/disable');
    expect((await get(makeOtp('rotator', issued, now() + 60, salt()))).body.code).toBe('invalid_credentials');
  });

  // Without Redis the database decides (contract §4.5): claims that arrive while a batch is written are
  // group-committed, and the batch must still name one winner per token. The requests are written
  // all at once over connections opened beforehand, so that the first claims of the token share a
  // batch (with Promise.all over fresh requests, the first one usually arrives alone and wins in a
  // batch of its own). .ci/run runs this on SQLite, on PostgreSQL without Redis and with Redis.
  it('accepts one token exactly once under 200 simultaneous requests', async () => {
    const otp = makeOtp('legacy', 'legacy-password', now() + 120, salt(), 'hmac-sha256');
    const results = await simultaneousGets(t.url, t.app.getHttpServer(), Array(200).fill(`/api/whoami?otp=${encodeURIComponent(otp)}`));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401 && r.json?.code === 'otp_replayed')).toHaveLength(199);
  });

  it('accepts each of several tokens exactly once when their requests arrive interleaved, all at once', async () => {
    const otps = Array.from({ length: 5 }, (_, i) => makeOtp('legacy', 'legacy-password', now() + 120, salt(), i % 2 ? 'md5' : 'hmac-sha256'));
    const targets = Array.from({ length: 200 }, (_, i) => `/api/whoami?otp=${encodeURIComponent(otps[i % otps.length]!)}`);
    const results = await simultaneousGets(t.url, t.app.getHttpServer(), targets);
    const accepted = otps.map((_, k) => results.filter((r, i) => i % otps.length === k && r.status === 200).length);
    expect(accepted).toEqual([1, 1, 1, 1, 1]);
    expect(results.filter((r) => r.status === 401 && r.json?.code === 'otp_replayed')).toHaveLength(195);
  });

  it('accepts the OTP in a POST body, JSON or form, beside the handler\'s own fields', async () => {
    const { key } = await approvedApplication(t);
    const json = await rawRequest(`${t.url}/api/file/mkdir`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ path: '/by-otp-json', otp: makeOtp('legacy', 'legacy-password', now() + 60, salt()) }),
    });
    expect(json.status).toBe(201);
    const form = await rawRequest(`${t.url}/api/file/mkdir`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': key },
      body: new URLSearchParams({ path: '/by-otp-form', otp: makeOtp('legacy', 'legacy-password', now() + 60, salt(), 'hmac-sha256') }).toString(),
    });
    expect(form.status).toBe(201);
    const list = await rawRequest(`${t.url}/api/file/list?path=/&otp=${encodeURIComponent(makeOtp('legacy', 'legacy-password', now() + 60, salt()))}`, { headers: { 'x-api-key': key } });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).toContain('by-otp-json');
    expect(JSON.stringify(list.body)).toContain('by-otp-form');
  });

  it('keeps the token out of the audit log', async () => {
    const otp = makeOtp('legacy', 'legacy-password', now() + 60, salt());
    await get(otp);
    const audit = await admin.get('/api/admin/audit?type=auth.otp&limit=1000');
    expect(audit.body.length).toBeGreaterThan(0);
    expect(audit.text).not.toContain(otp.split(':').at(-1)!);
  });
});
