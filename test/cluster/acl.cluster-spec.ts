import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedApplication } from '../support/api-key.js';
import { credentialChangeHeard } from './broadcasts.js';
import { startCluster } from './cluster.js';

describe('ACL rules across two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  // Immediate revocation across instances (see broadcasts.ts): B hears A's broadcast, and its very
  // first request after that is decided by the new rules.
  it('rules replaced on A decide on B from its first request after the broadcast, though B had the old rules cached', async () => {
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

    const replaced = credentialChangeHeard(b!, 'owner-ops');
    expect((await owner.put('/api/sublogin/rules', { json: { name: 'ops', rules: [{ path: '/sublogin/list', effect: 'deny' }] } })).status).toBe(200);
    await replaced;
    const denied = await onB();
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('acl_denied');
    expect((await onB()).status).toBe(403); // B caches the new rules and the verified password again

    // Deleted on A: refused on B, whatever B had cached.
    const deleted = credentialChangeHeard(b!, 'owner-ops');
    expect((await owner.post('/api/sublogin/delete', { json: { name: 'ops' } })).status).toBe(204);
    await deleted;
    expect((await onB()).status).toBe(401);
  });
});
