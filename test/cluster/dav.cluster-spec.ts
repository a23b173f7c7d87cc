import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startCluster } from './cluster.js';

const LOCKINFO =
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>cluster test</D:owner></D:lockinfo>';

/** WebDAV locks live in the database: every instance sees every lock (contract §7, §9). */
describe('WebDAV locks across two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  const auth = { authorization: basicHeader('davroamer', 'davroamer-login-pw') };
  const dav = (url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    rawRequest(`${url}${path}`, { method, headers: { ...auth, ...headers }, body });
  const tokenOf = (res: { headers: Record<string, string | string[] | undefined> }) => /^<(.+)>$/.exec(String(res.headers['lock-token']))?.[1];

  beforeAll(async () => {
    cluster = await startCluster(2);
    const admin = await cluster.nodes[0]!.admin();
    const created = await admin.post('/api/admin/accounts', { json: { login: 'davroamer', password: 'davroamer-login-pw', email: 'dr@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a LOCK taken on A blocks a PUT on B; the token opens it on B; an UNLOCK on B frees it on A', async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    expect((await dav(a, 'PUT', '/dav/shared.txt', {}, 'v1')).status).toBe(201);
    const locked = await dav(a, 'LOCK', '/dav/shared.txt', { depth: '0' }, LOCKINFO);
    expect(locked.status).toBe(200);
    const token = tokenOf(locked)!;

    const blocked = await dav(b, 'PUT', '/dav/shared.txt', {}, 'from B');
    expect(blocked.status).toBe(423);
    expect(blocked.body).toContain('lock-token-submitted');
    expect((await dav(b, 'LOCK', '/dav/shared.txt', { depth: '0' }, LOCKINFO)).status).toBe(423);
    expect((await dav(b, 'PUT', '/dav/shared.txt', { if: `(<${token}>)` }, 'v2 from B')).status).toBe(204);
    expect((await dav(a, 'GET', '/dav/shared.txt')).body).toBe('v2 from B');

    expect((await dav(b, 'UNLOCK', '/dav/shared.txt', { 'lock-token': `<${token}>` })).status).toBe(204);
    expect((await dav(a, 'PUT', '/dav/shared.txt', {}, 'v3 from A')).status).toBe(204);
  });

  it('grants one of two exclusive LOCKs sent to both instances at once', async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    for (let round = 0; round < 5; round++) {
      const path = `/dav/race-${round}.txt`;
      expect((await dav(a, 'PUT', path, {}, 'x')).status).toBe(201);
      const results = await Promise.all([a, b, a, b].map((url) => dav(url, 'LOCK', path, { depth: '0' }, LOCKINFO)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 423, 423, 423]);
    }
  });
});
