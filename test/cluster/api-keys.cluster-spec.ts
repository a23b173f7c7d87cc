import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyCache } from '../../src/api-keys/api-key-cache.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { applicationChangeHeard } from './broadcasts.js';
import { startCluster } from './cluster.js';

/** API keys on two instances sharing PostgreSQL and Redis: every change reaches B's key cache by broadcast. */
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

  /** B loads the key into its cache, then answers it from there. */
  async function cachedOnB(key: string): Promise<void> {
    const cache = cluster.nodes[1]!.app.get(ApiKeyCache);
    expect((await onB(key)).status).toBe(200); // loaded into B's cache
    const hits = cache.hits;
    expect((await onB(key)).status).toBe(200); // served from it
    expect(cache.hits).toBeGreaterThan(hits);
  }

  // Immediate revocation across instances (see broadcasts.ts): B hears A's broadcast, and its very
  // first request after that decides on the new state, not on what it had cached.
  it('a revoke on A is refused on B by its first request after the broadcast, though B had the key cached', async () => {
    const { id, key } = await liveApp('Roaming app');
    await cachedOnB(key);
    const heard = applicationChangeHeard(cluster.nodes[1]!, id);
    expect((await admin.post(`/api/admin/apps/${id}/revoke`)).status).toBe(200);
    await heard;
    expect((await onB(key)).body.code).toBe('api_key_invalid');
  });

  it('a rotation on A retires the old key on B at its first request after the broadcast; the new one works there', async () => {
    const { id, key } = await liveApp('Rotating app');
    await cachedOnB(key);
    const heard = applicationChangeHeard(cluster.nodes[1]!, id);
    const rotated = await developer.post(`/api/apps/${id}/key/rotate`);
    expect(rotated.status).toBe(200);
    await heard;
    expect((await onB(key)).body.code).toBe('api_key_invalid');
    expect((await onB(rotated.body.key)).status).toBe(200);
  });

  it('a user\'s block on A stops the app for them on B at its first request after the broadcast, and the unblock brings it back', async () => {
    const { id, key } = await liveApp('Blocked app');
    await cachedOnB(key);
    const blocked = applicationChangeHeard(cluster.nodes[1]!, id);
    expect((await user.post(`/api/me/apps/${id}/block`)).status).toBe(200);
    await blocked;
    expect((await onB(key)).body.code).toBe('api_key_blocked');
    expect((await onB(key)).body.code).toBe('api_key_blocked'); // B caches the blocked state
    const unblocked = applicationChangeHeard(cluster.nodes[1]!, id);
    expect((await user.post(`/api/me/apps/${id}/unblock`)).status).toBe(200);
    await unblocked;
    expect((await onB(key)).status).toBe(200);
  });
});
