import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startCluster } from './cluster.js';

const LOCKINFO =
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>cluster test</D:owner></D:lockinfo>';

/** Issue 15: a sublogin's lock, the file API and the owner's removal, across two instances. */
describe('WebDAV locks, the file API and the owner across two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  const OWNER = ['lockroamer', 'lockroamer-login-pw'] as const;
  const SUB = ['lockroamer-sync', 'sync-password-1'] as const;
  const dav = (url: string, as: readonly [string, string], method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    rawRequest(`${url}${path}`, { method, headers: { authorization: basicHeader(as[0], as[1]), ...headers }, body });
  let sessions: HttpClient[];

  beforeAll(async () => {
    cluster = await startCluster(2);
    const admin = await cluster.nodes[0]!.admin();
    const created = await admin.post('/api/admin/accounts', { json: { login: OWNER[0], password: OWNER[1], email: 'lr@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(created.status).toBe(201);
    sessions = [];
    for (const node of cluster.nodes) {
      const s = node.client();
      await s.login(OWNER[0], OWNER[1]);
      sessions.push(s);
    }
    const sub = await sessions[0]!.post('/api/sublogin/create', { json: { name: 'sync', password: SUB[1], rules: [{ path: '/dav/', effect: 'allow' }] } });
    expect(sub.status, sub.text).toBe(201);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("a sublogin's LOCK on A holds the file API on B; the owner removes it on B and A writes again", async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    const [onA, onB] = sessions as [HttpClient, HttpClient];
    const upload = (s: HttpClient, body: string) => s.put('/api/file/upload?path=%2Fshared%2Fdoc.txt', { body, headers: { 'content-type': 'application/octet-stream' } });
    expect((await upload(onA, 'v1')).status).toBe(201);

    const locked = await dav(a, SUB, 'LOCK', '/dav/shared/', { depth: 'infinity', timeout: 'Infinite' }, LOCKINFO);
    expect(locked.status).toBe(200);
    expect(locked.body).toContain('<D:timeout>Second-3600</D:timeout>');
    const token = /^<(.+)>$/.exec(String(locked.headers['lock-token']))![1]!;

    const refused = await upload(onB, 'v2');
    expect(refused.status).toBe(423);
    expect(refused.body.code).toBe('locked');
    expect((await onB.post('/api/file/delete', { json: { path: '/shared' } })).status).toBe(423);

    const listed = await onB.get('/api/me/locks');
    expect((listed.body as Array<{ token: string; principal: string }>).map((l) => [l.token, l.principal])).toEqual([[token, SUB[0]]]);
    expect((await onB.delete(`/api/me/locks/${token}`)).status).toBe(204);

    expect((await upload(onA, 'v2')).status).toBe(200);
    expect((await dav(a, OWNER, 'GET', '/dav/shared/doc.txt')).body).toBe('v2');
    expect((await dav(b, SUB, 'UNLOCK', '/dav/shared/', { 'lock-token': `<${token}>` })).status).toBe(409);
  });

  it('the owner UNLOCKs on B a lock a sublogin took on A', async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    expect((await dav(a, OWNER, 'PUT', '/dav/own.txt', {}, 'x')).status).toBe(201);
    const locked = await dav(a, SUB, 'LOCK', '/dav/own.txt', { depth: '0' }, LOCKINFO);
    expect(locked.status).toBe(200);
    const token = /^<(.+)>$/.exec(String(locked.headers['lock-token']))![1]!;
    expect((await dav(b, OWNER, 'PUT', '/dav/own.txt', {}, 'y')).status).toBe(423);
    expect((await dav(b, OWNER, 'UNLOCK', '/dav/own.txt', { 'lock-token': `<${token}>` })).status).toBe(204);
    expect((await dav(a, OWNER, 'PUT', '/dav/own.txt', {}, 'y')).status).toBe(204);
  });
});
