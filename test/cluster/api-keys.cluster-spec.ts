import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startCluster } from './cluster.js';

/** API keys on two instances sharing PostgreSQL and Redis: every change reaches B's key cache within a second. */
describe('API keys across two instances', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let admin: HttpClient;
  let developer: HttpClient;
  let user: HttpClient;

  beforeAll(async () => {
    cluster = await startCluster(2);
    const [a] = cluster.nodes;
    admin = await a!.admin();
    for (const login of ['keydev', 'keyuser']) {
      // Legacy accounts: Basic takes the login password.
      const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-password`, email: `${login}@example.com`, registeredAt: '2020-01-01T00:00:00Z' } });
      expect(res.status).toBe(201);
    }
    developer = a!.client();
    await developer.login('keydev', 'keydev-password');
    user = a!.client();
    await user.login('keyuser', 'keyuser-password');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** An approved application with its key, all done on instance A. */
  async function liveApp(name: string): Promise<{ id: string; key: string }> {
    const id = (await developer.post('/api/apps', { json: { name } })).body.id as string;
    expect((await admin.post(`/api/admin/apps/${id}/approve`)).status).toBe(200);
    const issued = await developer.post(`/api/apps/${id}/key`);
    expect(issued.status).toBe(201);
    return { id, key: issued.body.key };
  }

  const onB = (key: string) => rawRequest(`${cluster.nodes[1]!.url}/api/sublogin/list`, { headers: { authorization: basicHeader('keyuser', 'keyuser-password'), 'x-api-key': key } });

  /** Polls B until the key gets `code`, and says how long that took after the change. */
  async function refusedOnBWithin(key: string, code: string, changedAt: number): Promise<number> {
    await expect.poll(async () => (await onB(key)).body.code, { timeout: 1_000, interval: 20 }).toBe(code);
    return Date.now() - changedAt;
  }

  it('a revoke on A is refused on B within a second, though B had the key cached', async () => {
    const { id, key } = await liveApp('Roaming app');
    expect((await onB(key)).status).toBe(200); // loaded into B's cache
    expect((await onB(key)).status).toBe(200); // served from it
    const changedAt = Date.now();
    expect((await admin.post(`/api/admin/apps/${id}/revoke`)).status).toBe(200);
    expect(await refusedOnBWithin(key, 'api_key_invalid', changedAt)).toBeLessThan(1_000);
  });

  it('a rotation on A retires the old key on B within a second; the new one works there', async () => {
    const { id, key } = await liveApp('Rotating app');
    expect((await onB(key)).status).toBe(200);
    const changedAt = Date.now();
    const rotated = await developer.post(`/api/apps/${id}/key/rotate`);
    expect(rotated.status).toBe(200);
    expect(await refusedOnBWithin(key, 'api_key_invalid', changedAt)).toBeLessThan(1_000);
    expect((await onB(rotated.body.key)).status).toBe(200);
  });

  it('a user\'s block on A stops the app for them on B within a second, and the unblock brings it back', async () => {
    const { id, key } = await liveApp('Blocked app');
    expect((await onB(key)).status).toBe(200);
    const changedAt = Date.now();
    expect((await user.post(`/api/me/apps/${id}/block`)).status).toBe(200);
    expect(await refusedOnBWithin(key, 'api_key_blocked', changedAt)).toBeLessThan(1_000);
    expect((await user.post(`/api/me/apps/${id}/unblock`)).status).toBe(200);
    await expect.poll(async () => (await onB(key)).status, { timeout: 1_000, interval: 20 }).toBe(200);
  });
});
