import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedApplication } from '../support/api-key.js';
import { startCluster } from './cluster.js';

describe('ACL rules across two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('rules replaced on A decide on B within a second, though B had the old rules cached', async () => {
    const [a, b] = cluster.nodes;
    const admin = await a!.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'owner', password: 'owner-login-pw', email: 'o@example.com' } })).status).toBe(201);
    const owner = a!.client();
    await owner.login('owner', 'owner-login-pw');
    const created = await owner.post('/api/sublogin/create', { json: { name: 'ops', password: 'ops-password-1', rules: [{ path: '/sublogin/list', effect: 'allow' }] } });
    expect(created.status).toBe(201);

    const { key } = await approvedApplication(a!);
    const onB = () => b!.client().get('/api/sublogin/list', { basic: ['owner-ops', 'ops-password-1'], headers: { 'x-api-key': key } });
    expect((await onB()).status).toBe(200); // B verifies the password and caches the rules
    expect((await onB()).status).toBe(200);

    expect((await owner.put('/api/sublogin/rules', { json: { name: 'ops', rules: [{ path: '/sublogin/list', effect: 'deny' }] } })).status).toBe(200);
    const changedAt = Date.now();
    await expect.poll(async () => (await onB()).status, { timeout: 1_000, interval: 20 }).toBe(403);
    expect(Date.now() - changedAt).toBeLessThan(1_000);
    expect((await onB()).body.code).toBe('acl_denied');

    // Deleted on A: refused on B, whatever B had cached.
    expect((await owner.post('/api/sublogin/delete', { json: { name: 'ops' } })).status).toBe(204);
    await expect.poll(async () => (await onB()).status, { timeout: 1_000, interval: 20 }).toBe(401);
  });
});
