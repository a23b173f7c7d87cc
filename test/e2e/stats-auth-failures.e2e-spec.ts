import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { StatsService } from '../../src/stats/stats.service.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest, type RawResponse } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

interface AuthItem {
  method: string;
  outcome: 'success' | 'failure';
  code: string | null;
  count: number;
}

const now = () => Math.floor(Date.now() / 1000);
const salt = () => randomBytes(6).toString('hex');

/**
 * `GET /api/stat/auth` counts a customer's authentication failures: those whose login names the
 * customer or one of its sublogins, by method and code — and nobody else's.
 */
describe('statistics: authentication failures count for the customer whose login was presented', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let owner: HttpClient;
  let stranger: HttpClient;
  const flush = () => t.app.get(StatsService).flush();

  /** GET /api/whoami with Basic credentials from a chosen loopback address (its own throttle subnet). */
  const basic = (login: string, password: string, from = '127.0.0.1') =>
    rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader(login, password) }, localAddress: from });
  const otp = (token: string) => rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(token)}`);
  const refused = (res: RawResponse, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  };
  const failures = (items: AuthItem[]) => items.filter((i) => i.outcome === 'failure').map((i) => ({ method: i.method, code: i.code, count: i.count }));

  beforeAll(async () => {
    // Per (login, address): refused (429) from the 5th failure on, before any delay starts.
    t = await startTestApp({ OTP_MAX_TTL: '600', THROTTLE_LOGIN_SUBNET_MAX: '4', THROTTLE_FREE_FAILURES: '10' });
    const admin = await t.admin();
    for (const login of ['owner', 'stranger']) {
      expect((await admin.post('/api/admin/accounts', { json: { login, password: `${login}-password`, email: `${login}@example.com` } })).status).toBe(201);
    }
    owner = t.client();
    await owner.login('owner', 'owner-password');
    stranger = t.client();
    await stranger.login('stranger', 'stranger-password');
    const created = await owner.post('/api/sublogin/create', { json: { name: 'sync', password: 'sync-password-1', rules: [{ path: '/file/', effect: 'allow' }] } });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("counts wrong passwords, replayed, wrong and expired OTPs and throttled attempts for the customer, and others' for no one", async () => {
    // Wrong Basic passwords for the customer itself, and its login password while Basic is off.
    for (const p of ['wrong-1', 'wrong-2', 'wrong-3']) refused(await basic('owner', p), 401, 'invalid_credentials');
    refused(await basic('owner', 'owner-password', '127.0.0.3'), 401, 'basic_disabled');
    // Wrong Basic passwords for its sublogin; the right one works.
    for (const p of ['wrong-a', 'wrong-b']) refused(await basic('owner-sync', p), 401, 'invalid_credentials');
    expect((await basic('owner-sync', 'sync-password-1')).status).toBe(200);
    // An OTP of the sublogin: accepted once, then replayed twice; a wrong one.
    const token = makeOtp('owner-sync', 'sync-password-1', now() + 60, salt());
    expect((await otp(token)).status).toBe(200);
    refused(await otp(token), 401, 'otp_replayed');
    refused(await otp(token), 401, 'otp_replayed');
    refused(await otp(makeOtp('owner-sync', 'not-its-password', now() + 60, salt())), 401, 'invalid_credentials');
    // Expired: refused before any look-up, still the customer's (its login failed moments ago).
    refused(await otp(makeOtp('owner', 'owner-password', now() - 5, salt())), 401, 'otp_expired');
    // A guesser on the sublogin from another address: four wrong passwords, then the throttle's 429s.
    for (const p of ['guess-1', 'guess-2', 'guess-3', 'guess-4']) refused(await basic('owner-sync', p, '127.0.0.7'), 401, 'invalid_credentials');
    refused(await basic('owner-sync', 'guess-5', '127.0.0.7'), 429, 'too_many_requests');
    refused(await basic('owner-sync', 'guess-6', '127.0.0.7'), 429, 'too_many_requests');

    // Other logins: another customer's, and ones that are no account or sublogin at all.
    refused(await basic('stranger', 'wrong-s'), 401, 'invalid_credentials');
    refused(await basic('stranger-nosuch', 'wrong-s'), 401, 'invalid_credentials');
    refused(await basic('owner-nosuch', 'wrong-o'), 401, 'invalid_credentials');
    refused(await basic('ghost', 'wrong-g'), 401, 'invalid_credentials');
    refused(await otp(makeOtp('ghost-sync', 'whatever', now() + 60, salt())), 401, 'invalid_credentials');
    refused(await otp(makeOtp('nobody', 'whatever', now() - 5, salt())), 401, 'otp_expired');
    await flush();

    const mine = await owner.get('/api/stat/auth');
    expect(mine.status).toBe(200);
    const expected = [
      { method: 'basic', code: 'basic_disabled', count: 1 },
      { method: 'basic', code: 'invalid_credentials', count: 3 + 2 + 4 },
      { method: 'basic', code: 'too_many_requests', count: 2 },
      { method: 'otp', code: 'invalid_credentials', count: 1 },
      { method: 'otp', code: 'otp_expired', count: 1 },
      { method: 'otp', code: 'otp_replayed', count: 2 },
    ];
    expect(failures(mine.body.items)).toEqual(expected);
    expect(mine.body.failures).toBe(expected.reduce((n, i) => n + i.count, 0));
    const successes = (items: AuthItem[], method: string) => items.find((i) => i.method === method && i.outcome === 'success')?.count;
    expect(successes(mine.body.items, 'basic')).toBe(1);
    expect(successes(mine.body.items, 'otp')).toBe(1);

    // The other customer sees its own failure, none of the owner's.
    const theirs = await stranger.get('/api/stat/auth');
    expect(failures(theirs.body.items)).toEqual([{ method: 'basic', code: 'invalid_credentials', count: 1 }]);

    // Logins that are no account or sublogin were counted, for nobody.
    const nobody = await t.app.get(DataSource).query(`SELECT method, outcome, count FROM auth_hours WHERE account_id = '' ORDER BY method, outcome`);
    const rows = nobody.map((r: Record<string, unknown>) => ({ method: r.method, outcome: r.outcome, count: Number(r.count) }));
    expect(rows).toContainEqual({ method: 'basic', outcome: 'invalid_credentials', count: 3 });
    expect(rows).toContainEqual({ method: 'otp', outcome: 'invalid_credentials', count: 1 });
    expect(rows).toContainEqual({ method: 'otp', outcome: 'otp_expired', count: 1 });
  });

  it('never says in the answer whose login it was', async () => {
    const mine = await basic('owner-sync', 'wrong-x');
    const unknown = await basic('nobody-sync', 'wrong-x');
    expect(mine.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: 'invalid_credentials', message: expect.stringMatching(/^invalid login or password/) });
    for (const res of [mine, unknown]) expect(res.body).toEqual(mine.body);
  });
});
