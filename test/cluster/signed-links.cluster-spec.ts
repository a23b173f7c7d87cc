import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { approvedApplication } from '../support/api-key.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startCluster } from './cluster.js';

describe('signed links across two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let owner: HttpClient;
  const make = async (body: Record<string, unknown>) => {
    const res = await owner.post('/api/file/links', { json: { method: 'GET', path: '/f.txt', expiresIn: 600, ...body } });
    if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
    return res.body as { id: string; token: string };
  };

  beforeAll(async () => {
    cluster = await startCluster(2);
    const admin = await cluster.nodes[0]!.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'linker', password: 'linker-password', email: 'l@example.com' } });
    owner = cluster.nodes[0]!.client();
    await owner.login('linker', 'linker-password');
    expect((await owner.put('/api/file/upload?path=/f.txt', { body: 'shared' })).status).toBe(201);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('revoked on one instance is refused on the other within a second', async () => {
    const link = await make({});
    const other = `${cluster.nodes[1]!.url}/link/${link.token}`;
    expect((await rawRequest(other)).status).toBe(200);
    expect((await owner.delete(`/api/file/links/${link.id}`)).status).toBe(200);
    const revokedAt = Date.now();
    let res = await rawRequest(other);
    while (res.status === 200 && Date.now() - revokedAt < 1_000) res = await rawRequest(other);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('link_revoked');
  });

  it("stops a sublogin's link on the other instance within a second of its rule's removal", async () => {
    const app = await approvedApplication(cluster.nodes[0]!);
    expect((await owner.post('/api/sublogin/create', { json: { name: 'sharer', password: 'sharer-password', rules: [{ path: '/file/download', effect: 'allow' }, { path: '/file/link', effect: 'allow' }] } })).status).toBe(201);
    const made = await cluster.nodes[0]!.client().post('/api/file/links', {
      json: { method: 'GET', path: '/f.txt', expiresIn: 600 },
      headers: { authorization: basicHeader('linker-sharer', 'sharer-password'), 'x-api-key': app.key },
    });
    expect(made.status).toBe(201);
    const other = `${cluster.nodes[1]!.url}/link/${made.body.token}`;
    // The other instance now holds the sublogin's rules in its ACL cache.
    expect((await rawRequest(other)).status).toBe(200);
    expect((await owner.put('/api/sublogin/rules', { json: { name: 'sharer', rules: [{ path: '/file/link', effect: 'allow' }] } })).status).toBe(200);
    const changedAt = Date.now();
    let res = await rawRequest(other);
    while (res.status === 200 && Date.now() - changedAt < 1_000) res = await rawRequest(other);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('link_revoked');
  });

  it('answers a single-use link exactly once under concurrent requests spread over both', async () => {
    const link = await make({ maxUses: 1 });
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => rawRequest(`${cluster.nodes[i % 2]!.url}/link/${link.token}`)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 403 && r.body.code === 'link_used')).toHaveLength(59);
  });

  it('answers a link of three uses exactly three times across both', async () => {
    const link = await make({ maxUses: 3 });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => rawRequest(`${cluster.nodes[i % 2]!.url}/link/${link.token}`)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
  });
});
