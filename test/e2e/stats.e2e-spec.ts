import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketStart } from '../../src/stats/core/traffic.js';
import { StatsService } from '../../src/stats/stats.service.js';
import { approvedApplication, type TestApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { oauthApplication, tokensFor } from '../support/oauth.js';
import { eventually, RawSession } from '../support/raw-session.js';
import { startApp, startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

interface Item {
  start: string;
  area: string;
  sublogin: string | null;
  method: string;
  status: number;
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

interface AppItem {
  applicationId: string;
  applicationName: string | null;
  start: string;
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function createCustomer(t: TestApp, login: string): Promise<string> {
  const admin = await t.admin();
  const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-password`, email: `${login}@example.com` } });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('statistics: /api/stat/*', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let accountId: string;
  let user: HttpClient;
  let raw: RawSession;
  const flush = () => t.app.get(StatsService).flush();

  beforeAll(async () => {
    t = await startTestApp();
    accountId = await createCustomer(t, 'counter');
    user = t.client();
    await user.login('counter', 'counter-password');
    raw = await RawSession.login(t.url, 'counter', 'counter-password');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('counts the bytes of the requests just made, per area, method and status', async () => {
    const data = randomBytes(50_000);
    expect((await raw.request('PUT', '/api/file/upload?path=/s/data.bin', { body: data, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    expect((await raw.request('GET', '/api/file/download?path=/s/data.bin')).bytes.length).toBe(50_000);
    expect((await raw.request('GET', '/api/file/info?path=/s/none')).status).toBe(404);
    await flush();

    const res = await user.get('/api/stat/traffic?area=file');
    expect(res.status).toBe(200);
    expect(res.body.granularity).toBe('hour');
    const items: Item[] = res.body.items;
    expect(items.every((i) => i.area === 'file' && i.sublogin === null)).toBe(true);
    const thisHour = new Date(Math.floor(Date.now() / HOUR) * HOUR).toISOString();

    const put = items.find((i) => i.method === 'PUT' && i.status === 201)!;
    expect(put).toMatchObject({ start: thisHour, requests: 1 });
    // The body plus the request line and headers; the answer is a small JSON document.
    expect(put.bytesIn).toBeGreaterThan(50_000);
    expect(put.bytesIn).toBeLessThan(52_000);
    expect(put.bytesOut).toBeGreaterThan(0);
    expect(put.bytesOut).toBeLessThan(2_000);

    const get = items.find((i) => i.method === 'GET' && i.status === 200)!;
    expect(get.requests).toBe(1);
    expect(get.bytesOut).toBeGreaterThan(50_000);
    expect(get.bytesOut).toBeLessThan(52_000);
    expect(get.bytesIn).toBeLessThan(2_000);

    expect(items.find((i) => i.method === 'GET' && i.status === 404)).toMatchObject({ requests: 1 });
    expect(res.body.totals.requests).toBe(items.reduce((n, i) => n + i.requests, 0));
    expect(res.body.totals.bytesIn).toBe(items.reduce((n, i) => n + i.bytesIn, 0));
  });

  it('groups by UTC day, and filters by area', async () => {
    await flush();
    const days = await user.get('/api/stat/traffic?granularity=day');
    expect(days.status).toBe(200);
    const today = new Date(Math.floor(Date.now() / DAY) * DAY).toISOString();
    expect(days.body.items.every((i: Item) => i.start === today)).toBe(true);
    expect(new Set(days.body.items.map((i: Item) => i.area))).toEqual(new Set(['file', 'stat']));

    const stat = await user.get('/api/stat/traffic?area=stat');
    expect(stat.body.items.length).toBeGreaterThan(0);
    expect(stat.body.items.every((i: Item) => i.area === 'stat' && i.method === 'GET')).toBe(true);

    const none = await user.get(`/api/stat/traffic?from=${new Date(Date.now() - 3 * DAY).toISOString()}&to=${new Date(Date.now() - 2 * DAY).toISOString()}`);
    expect(none.body.items).toEqual([]);
    expect(none.body.totals).toEqual({ requests: 0, bytesIn: 0, bytesOut: 0 });
  });

  it('counts an upload the client abandons mid-body, as status 499', async () => {
    const areaDir = join(t.env.env.STORAGE_DIR!, accountId, 'main');
    const socket = await raw.startUpload('/api/file/upload?path=/s/abandoned.bin', 500_000, randomBytes(100_000));
    await eventually(async () => (await readdir(areaDir, { recursive: true })).some((n) => n.includes('.portcullis-upload-')), 5_000, 'the upload to start');
    socket.destroy();
    await eventually(
      async () => {
        await flush();
        const res = await user.get('/api/stat/traffic?area=file');
        const aborted = res.body.items.find((i: Item) => i.method === 'PUT' && i.status === 499);
        return !!aborted && aborted.bytesIn >= 100_000;
      },
      5_000,
      'the aborted upload to be counted',
    );
  });

  it("counts a sublogin's requests for its customer, naming the sublogin", async () => {
    const created = await user.post('/api/sublogin/create', {
      json: { name: 'meter', password: 'meter-password-1', rules: [{ path: '/file/upload', effect: 'allow' }, { path: '/stat/traffic', effect: 'allow' }] },
    });
    expect(created.status).toBe(201);
    const { key } = await approvedApplication(t);
    const opts = { basic: ['counter-meter', 'meter-password-1'] as [string, string], headers: { 'x-api-key': key } };
    const up = await t.client().put('/api/file/upload?path=/s/by-sub.bin', { ...opts, body: randomBytes(30_000), headers: { ...opts.headers, 'content-type': 'application/octet-stream' } });
    expect(up.status).toBe(201);
    expect((await t.client().get('/api/stat/storage', opts)).status).toBe(403); // not in its rules
    await flush();
    // The sublogin sees its customer's report (its rules allow it).
    const res = await t.client().get('/api/stat/traffic?area=file', opts);
    expect(res.status).toBe(200);
    const put = res.body.items.find((i: Item) => i.sublogin === 'counter-meter' && i.method === 'PUT' && i.status === 201);
    expect(put.requests).toBe(1);
    expect(put.bytesIn).toBeGreaterThan(30_000);
    const stat = await user.get('/api/stat/traffic?area=stat');
    expect(stat.body.items.find((i: Item) => i.sublogin === 'counter-meter' && i.status === 403)).toMatchObject({ requests: 1 });
  });

  it('keeps customers apart, and counts requests without a customer too', async () => {
    await createCustomer(t, 'bystander');
    const other = t.client();
    await other.login('bystander', 'bystander-password');
    await t.client().get('/api/file/list'); // 401: no customer
    await t.client().get('/no/such/route');
    await flush();
    const res = await other.get('/api/stat/traffic?area=file');
    expect(res.body.items).toEqual([]);

    const anonymous = await t.app
      .get(DataSource)
      .query(`SELECT area, status, requests FROM traffic_hours WHERE account_id = '' AND sublogin = '' ORDER BY area, status`);
    const rows = anonymous.map((r: Record<string, unknown>) => ({ area: r.area, status: Number(r.status) }));
    expect(rows).toContainEqual({ area: 'file', status: 401 });
    expect(rows).toContainEqual({ area: 'other', status: 404 });
  });

  it('adds to the existing hourly rows on every flush, whatever the batch size', async () => {
    const stats = t.app.get(StatsService);
    const record = () => {
      for (let i = 0; i < 150; i++) {
        stats.recordRequest({ at: Date.now(), accountId, sublogin: null, applicationId: null, area: 'backup', method: 'TEST', status: 1000 + i, bytesIn: i, bytesOut: 1 });
      }
    };
    record();
    await flush();
    record(); // the same keys again: added to the rows, not replacing them
    await flush();
    const res = await user.get('/api/stat/traffic?area=backup');
    const rows = res.body.items.filter((i: Item) => i.method === 'TEST');
    expect(rows).toHaveLength(150);
    expect(rows.every((i: Item) => i.requests === 2 && i.bytesIn === 2 * (i.status - 1000) && i.bytesOut === 2)).toBe(true);
  });

  it('reports storage per area', async () => {
    await raw.request('PUT', '/api/file/upload?path=/s/deep/x.txt', { body: '12345' });
    const res = await user.get('/api/stat/storage');
    expect(res.status).toBe(200);
    expect(res.body.areas).toEqual([
      { area: 'main', bytes: 50_000 + 30_000 + 5, files: 3, folders: 2 }, // data.bin, by-sub.bin, deep/x.txt
      { area: 'backup', bytes: 0, files: 0, folders: 0 },
    ]);
  });

  it('reports authentication outcomes per method and code', async () => {
    const stats = t.app.get(StatsService);
    stats.recordAuth('basic', 'invalid_credentials', accountId);
    stats.recordAuth('basic', 'invalid_credentials', accountId);
    stats.recordAuth('otp', 'otp_replayed', accountId);
    stats.recordAuth('basic', 'success', accountId);
    stats.recordAuth('basic', 'invalid_credentials', null); // an unknown login: no customer
    await flush();
    const res = await user.get('/api/stat/auth');
    expect(res.status).toBe(200);
    const count = (method: string, code: string | null) =>
      res.body.items.find((i: { method: string; code: string | null }) => i.method === method && i.code === code)?.count ?? 0;
    // At least these (the access pipeline may count the session requests of this test too).
    expect(count('basic', 'invalid_credentials')).toBe(2);
    expect(count('otp', 'otp_replayed')).toBe(1);
    expect(count('basic', null)).toBeGreaterThanOrEqual(1);
    expect(res.body.items.find((i: { code: string | null }) => i.code === 'otp_replayed')).toMatchObject({ outcome: 'failure' });
    expect(res.body.failures).toBeGreaterThanOrEqual(3);
    expect(res.body.successes).toBeGreaterThanOrEqual(1);
  });

  it('refuses bad parameters with 400', async () => {
    const now = Date.now();
    for (const query of [
      'granularity=week',
      'area=elsewhere',
      'from=yesterday',
      `from=${new Date(now).toISOString()}&to=${new Date(now - HOUR).toISOString()}`,
      `from=${new Date(now - 40 * DAY).toISOString()}`,
      `granularity=day&from=${new Date(now - 400 * DAY).toISOString()}`,
      'extra=1',
    ]) {
      const res = await user.get(`/api/stat/traffic?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code, query).toBe('validation_failed');
    }
    expect((await user.get(`/api/stat/auth?from=${new Date(now - 400 * DAY).toISOString()}`)).status).toBe(400);
    expect((await t.client().get('/api/stat/traffic')).status).toBe(401);
  });
});

describe('statistics per application: /api/stat/apps', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let accountId: string;
  let user: HttpClient;
  let alpha: TestApplication;
  let beta: TestApplication;
  const flush = () => t.app.get(StatsService).flush();
  /** Basic credentials: the login and the password its app connection issued. */
  let basic: [string, string];
  const appConnection = async (c: HttpClient, login: string): Promise<[string, string]> => {
    const enabled = await c.post('/api/me/app-connection/enable');
    expect(enabled.status).toBe(200);
    return [login, enabled.body.password];
  };
  /** The report's items summed per application over the range: an hour may turn during a test. */
  const perApp = (items: AppItem[]) => {
    const sums = new Map<string, AppItem>();
    for (const i of items) {
      const s = sums.get(i.applicationId);
      if (s) {
        s.requests += i.requests;
        s.bytesIn += i.bytesIn;
        s.bytesOut += i.bytesOut;
      } else sums.set(i.applicationId, { ...i });
    }
    return sums;
  };

  beforeAll(async () => {
    t = await startTestApp();
    accountId = await createCustomer(t, 'appuser');
    user = t.client();
    await user.login('appuser', 'appuser-password');
    basic = await appConnection(user, 'appuser');
    alpha = await approvedApplication(t, 'Alpha Sync');
    beta = await approvedApplication(t, 'Beta Backup');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("counts the customer's requests through each API key per application, and none without one", async () => {
    const before = Date.now();
    const viaAlpha = { basic, headers: { 'x-api-key': alpha.key } };
    const up = await t.client().put('/api/file/upload?path=/a.bin', { ...viaAlpha, body: randomBytes(20_000), headers: { ...viaAlpha.headers, 'content-type': 'application/octet-stream' } });
    expect(up.status).toBe(201);
    expect((await t.client().get('/api/file/list?path=/', viaAlpha)).status).toBe(200);
    expect((await t.client().get('/api/file/info?path=/none', viaAlpha)).status).toBe(404); // any status counts
    expect((await t.client().get('/api/file/download?path=/a.bin', { basic, headers: { 'x-api-key': beta.key } })).status).toBe(200);
    // Without a key: the session, and Basic where no key is needed.
    expect((await user.get('/api/file/list?path=/')).status).toBe(200);
    expect((await t.client().get('/api/whoami', { basic })).status).toBe(200);
    await flush();

    const res = await user.get('/api/stat/apps');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['from', 'to', 'granularity', 'items', 'totals']);
    const items: AppItem[] = res.body.items;
    const hours = [bucketStart(before), bucketStart(Date.now())].map((h) => new Date(h).toISOString());
    expect(items.every((i) => hours.includes(i.start))).toBe(true);
    const sums = perApp(items);
    expect([...sums.keys()].sort()).toEqual([alpha.id, beta.id].sort());
    const a = sums.get(alpha.id)!;
    expect(a).toMatchObject({ applicationName: 'Alpha Sync', requests: 3 });
    expect(a.bytesIn).toBeGreaterThan(20_000);
    expect(a.bytesIn).toBeLessThan(24_000);
    expect(a.bytesOut).toBeGreaterThan(0);
    expect(a.bytesOut).toBeLessThan(20_000);
    const b = sums.get(beta.id)!;
    expect(b).toMatchObject({ applicationName: 'Beta Backup', requests: 1 });
    expect(b.bytesOut).toBeGreaterThan(20_000);
    expect(b.bytesIn).toBeGreaterThan(0);
    expect(b.bytesIn).toBeLessThan(2_000);

    // The traffic report has every request, with or without a key.
    const traffic = await user.get('/api/stat/traffic?area=file');
    expect(traffic.body.totals.requests).toBe(5);
  });

  it("counts a token's requests under its OAuth client; a stat:read token may read the report", async () => {
    const client = await oauthApplication(t, 'Gamma Mobile');
    const read = await tokensFor(t.url, { clientId: client.id, scope: 'stat:read', login: 'appuser', password: 'appuser-password' });
    const bearer = { authorization: `Bearer ${read.access_token}`, 'x-api-key': client.key };
    const res = await t.client().get('/api/stat/apps', { headers: bearer });
    expect(res.status).toBe(200);
    const files = await tokensFor(t.url, { clientId: client.id, scope: 'file:read', login: 'appuser', password: 'appuser-password' });
    const refused = await t.client().get('/api/stat/apps', { headers: { authorization: `Bearer ${files.access_token}`, 'x-api-key': client.key } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
    await flush();
    const gamma = perApp((await user.get('/api/stat/apps')).body.items).get(client.id);
    expect(gamma).toMatchObject({ applicationName: 'Gamma Mobile', requests: 2 });
  });

  it('keeps customers apart: another account, the developer of the application, see none of it', async () => {
    await createCustomer(t, 'appbystander');
    const other = t.client();
    await other.login('appbystander', 'appbystander-password');
    const otherBasic = await appConnection(other, 'appbystander');
    expect((await t.client().get('/api/file/list?path=/', { basic: otherBasic, headers: { 'x-api-key': beta.key } })).status).toBe(200);
    await flush();
    const res = await other.get('/api/stat/apps');
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: AppItem) => [i.applicationId, i.requests])).toEqual([[beta.id, 1]]);
    expect((await alpha.developer.get('/api/stat/apps')).body.items).toEqual([]);
    expect(perApp((await user.get('/api/stat/apps')).body.items).get(beta.id)!.requests).toBe(1);
  });

  it('sums the hours of a UTC day with granularity=day, and names a deleted application null', async () => {
    const stats = t.app.get(StatsService);
    const day = bucketStart(Date.now(), DAY) - 3 * DAY;
    const gone = await approvedApplication(t, 'Gone Soon');
    const sample = (at: number, applicationId: string, bytesIn: number) =>
      stats.recordRequest({ at, accountId, sublogin: null, applicationId, area: 'file', method: 'GET', status: 200, bytesIn, bytesOut: 2 * bytesIn });
    sample(day + HOUR + 5, alpha.id, 100);
    sample(day + HOUR + 6, alpha.id, 10);
    sample(day + 5 * HOUR, alpha.id, 1000);
    sample(day + 23 * HOUR + 59 * 60_000, gone.id, 7);
    sample(day + DAY, alpha.id, 5); // the next day
    await flush();
    const admin = await t.admin();
    const owner = (await admin.get(`/api/admin/apps/${gone.id}`)).body.owner.id;
    expect((await admin.delete(`/api/admin/accounts/${owner}`)).status).toBe(204); // its applications go with it

    const range = `from=${new Date(day).toISOString()}&to=${new Date(day + DAY).toISOString()}`;
    const hours = await user.get(`/api/stat/apps?${range}`);
    expect(hours.status).toBe(200);
    expect(hours.body.items).toEqual([
      { applicationId: alpha.id, applicationName: 'Alpha Sync', start: new Date(day + HOUR).toISOString(), requests: 2, bytesIn: 110, bytesOut: 220 },
      { applicationId: alpha.id, applicationName: 'Alpha Sync', start: new Date(day + 5 * HOUR).toISOString(), requests: 1, bytesIn: 1000, bytesOut: 2000 },
      { applicationId: gone.id, applicationName: null, start: new Date(day + 23 * HOUR).toISOString(), requests: 1, bytesIn: 7, bytesOut: 14 },
    ]);
    const days = await user.get(`/api/stat/apps?granularity=day&${range}`);
    expect(days.status).toBe(200);
    expect(days.body.items).toEqual([
      { applicationId: alpha.id, applicationName: 'Alpha Sync', start: new Date(day).toISOString(), requests: 3, bytesIn: 1110, bytesOut: 2220 },
      { applicationId: gone.id, applicationName: null, start: new Date(day).toISOString(), requests: 1, bytesIn: 7, bytesOut: 14 },
    ].sort((x, y) => (x.applicationId < y.applicationId ? -1 : 1)));
    // `from` is rounded down to the day, so a range starting mid-day still has the whole day.
    const midDay = await user.get(`/api/stat/apps?granularity=day&from=${new Date(day + 12 * HOUR).toISOString()}&to=${new Date(day + DAY).toISOString()}`);
    expect(midDay.body.items).toEqual(days.body.items);
  });

  it('refuses bad parameters with 400, and callers without credentials with 401', async () => {
    const now = Date.now();
    for (const query of ['granularity=week', 'area=file', 'from=yesterday', `from=${new Date(now - 40 * DAY).toISOString()}`, `granularity=day&from=${new Date(now - 400 * DAY).toISOString()}`]) {
      const res = await user.get(`/api/stat/apps?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code, query).toBe('validation_failed');
    }
    expect((await t.client().get('/api/stat/apps')).status).toBe(401);
    expect((await t.client().get('/api/stat/apps', { basic })).body.code).toBe('api_key_required');
  });
});

describe('statistics at shutdown', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let restarted: TestApp | undefined;
  afterAll(async () => {
    await restarted?.close();
    await t?.env.dispose();
  });

  it('writes buffered counts when the app closes', async () => {
    t = await startTestApp();
    await createCustomer(t, 'closer');
    const raw = await RawSession.login(t.url, 'closer', 'closer-password');
    expect((await raw.request('PUT', '/api/file/upload?path=/before-close.bin', { body: randomBytes(20_000) })).status).toBe(201);
    await t.app.close(); // no flush() here: shutdown must write it

    restarted = await startApp(t.env.env);
    const user = restarted.client();
    await user.login('closer', 'closer-password');
    const res = await user.get('/api/stat/traffic?area=file');
    const put = res.body.items.find((i: Item) => i.method === 'PUT' && i.status === 201);
    expect(put).toMatchObject({ requests: 1 });
    expect(put.bytesIn).toBeGreaterThan(20_000);
  });
});
