import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatsService } from '../../src/stats/stats.service.js';
import { approvedApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

/**
 * The contract §6 example end to end: a customer gives a sublogin `allow /file/`, `deny /file/delete`,
 * `allow /file/delete/tmp`, and the sublogin works with Basic + an application's API key.
 */
describe('a sublogin with most-specific-wins rules, over HTTP', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let alice: HttpClient;
  let key: string;

  const asWeb = (method: string, path: string, json?: unknown) =>
    rawRequest(`${t.url}${path}`, {
      method,
      headers: { authorization: basicHeader('alice-web', 'web-password-1'), 'x-api-key': key, ...(json ? { 'content-type': 'application/json' } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    });
  const exists = async (path: string) => (await alice.get(`/api/file/info?path=${encodeURIComponent(path)}`)).status === 200;

  beforeAll(async () => {
    t = await startTestApp();
    key = (await approvedApplication(t)).key;
    const admin = await t.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'alice', password: 'alice-password', email: 'a@example.com' } });
    alice = t.client();
    await alice.login('alice', 'alice-password');
    const created = await alice.post('/api/sublogin/create', {
      json: {
        name: 'web',
        password: 'web-password-1',
        rules: [
          { path: '/file/', effect: 'allow' },
          { path: '/file/delete', effect: 'deny' },
          { path: '/file/delete/tmp', effect: 'allow' },
        ],
      },
    });
    expect(created.status).toBe(201);
    for (const path of ['/keep/x', '/tmp/x', '/tmp/y']) {
      expect((await alice.put(`/api/file/upload?path=${encodeURIComponent(path)}`, { body: 'content', headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('can list, cannot delete /keep/x, can delete /tmp/x, cannot read statistics', async () => {
    const list = await asWeb('GET', '/api/file/list?path=/');
    expect(list.status).toBe(200);

    const keep = await asWeb('POST', '/api/file/delete', { path: '/keep/x' });
    expect(keep.status).toBe(403);
    expect(keep.body.code).toBe('acl_denied');
    expect(keep.body.message).toContain('/file/delete/keep/x');
    expect(await exists('/keep/x')).toBe(true);

    expect((await asWeb('POST', '/api/file/delete', { path: '/tmp/x' })).status).toBe(204);
    expect(await exists('/tmp/x')).toBe(false);

    const stats = await asWeb('GET', '/api/stat/traffic');
    expect(stats.status).toBe(403);
    expect(stats.body.code).toBe('acl_denied');
  });

  it.each(['/keep//x', '/keep/./x', '//keep/x', '/tmp/../keep/x', '/keep/x/', 'keep/x'])('denies the bypass spelling %s and loses nothing', async (path) => {
    const res = await asWeb('POST', '/api/file/delete', { path });
    expect([400, 403]).toContain(res.status);
    expect(await exists('/keep/x')).toBe(true);
  });

  it('reads %2e%2e in a JSON path as a literal name (under /tmp: allowed, and not found), never as ..', async () => {
    const res = await asWeb('POST', '/api/file/delete', { path: '/tmp/%2e%2e/keep/x' });
    expect(res.status).toBe(404);
    expect(await exists('/keep/x')).toBe(true);
  });

  it('explains decisions with the deciding rule', async () => {
    const tmp = await alice.get(`/api/sublogin/check?name=web&path=${encodeURIComponent('/file/delete/tmp/y')}`);
    expect(tmp.body).toMatchObject({ allowed: true, path: '/file/delete/tmp/y', rule: { path: '/file/delete/tmp', effect: 'allow' } });
    const keep = await alice.get(`/api/sublogin/check?name=web&path=${encodeURIComponent('/FILE/Delete//keep/./x')}`);
    expect(keep.body).toMatchObject({ allowed: false, path: '/file/delete/keep/x', rule: { path: '/file/delete', effect: 'deny' } });
    const stat = await alice.get('/api/sublogin/check?name=web&path=/stat/traffic');
    expect(stat.body).toMatchObject({ allowed: false, rule: null });
  });

  it("shows the sublogin's requests and their bytes in the customer's statistics", async () => {
    await asWeb('GET', '/api/file/download?path=/tmp/y');
    await t.app.get(StatsService).flush();
    const res = await alice.get('/api/stat/traffic?area=file');
    expect(res.status).toBe(200);
    const web = res.body.items.filter((i: { sublogin: string | null }) => i.sublogin === 'alice-web');
    expect(web.length).toBeGreaterThan(0);
    const bytesOut = web.reduce((n: number, i: { bytesOut: number }) => n + i.bytesOut, 0);
    expect(bytesOut).toBeGreaterThan('content'.length);
    expect(web.some((i: { status: number }) => i.status === 403)).toBe(true);
  });
});
