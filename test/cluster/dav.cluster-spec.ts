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

  // Each instance remembers areas that hold no lock (DavLockStore, KnownAreas): a lock taken on A
  // must hold at once on B, which knew the area as holding none, and be shown there.
  it('a LOCK on A holds at once on B, which knew the area as holding no lock, and B shows it', async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    expect((await dav(a, 'MKCOL', '/dav/known/')).status).toBe(201);
    expect((await dav(a, 'PUT', '/dav/known/f.txt', {}, 'v1')).status).toBe(201);
    // B learns the area as holding none: a write, a PROPFIND.
    expect((await dav(b, 'PUT', '/dav/known/f.txt', {}, 'v2')).status).toBe(204);
    expect((await dav(b, 'PROPFIND', '/dav/known/f.txt', { depth: '0' })).body).toContain('<D:lockdiscovery/>');
    const locked = await dav(a, 'LOCK', '/dav/known/f.txt', { depth: '0', timeout: 'Second-2' }, LOCKINFO);
    expect(locked.status).toBe(200);
    const token = tokenOf(locked)!;
    expect((await dav(b, 'PUT', '/dav/known/f.txt', {}, 'v3')).status).toBe(423);
    expect((await dav(b, 'PROPFIND', '/dav/known/f.txt', { depth: '0' })).body).toContain(token);
    // Expired: B writes again (and learns the area as holding none) ...
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await dav(b, 'PUT', '/dav/known/f.txt', {}, 'v4')).status).toBe(204);
    expect((await dav(b, 'PROPFIND', '/dav/known/f.txt', { depth: '0' })).body).toContain('<D:lockdiscovery/>');
    // ... and a lock granted anew on A holds on B at once.
    const again = await dav(a, 'LOCK', '/dav/known/f.txt', { depth: '0' }, LOCKINFO);
    expect(again.status).toBe(200);
    expect((await dav(b, 'PUT', '/dav/known/f.txt', {}, 'v5')).status).toBe(423);
    expect((await dav(b, 'UNLOCK', '/dav/known/f.txt', { 'lock-token': `<${tokenOf(again)!}>` })).status).toBe(204);
  });

  // Each instance remembers areas that hold no dead property (DavPropertyStore): a property set
  // through one instance must be seen at once through the other, which knew the area as empty.
  it('a dead property set on A is seen at once by a PROPFIND on B that knew the area as holding none', async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    const allprop = (url: string, path: string) => dav(url, 'PROPFIND', path, { depth: '0' });
    const proppatch = (value: string) =>
      `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:cluster"><D:set><D:prop><Z:color>${value}</Z:color></D:prop></D:set></D:propertyupdate>`;
    expect((await dav(a, 'PUT', '/dav/props.txt', {}, 'p')).status).toBe(201);
    for (const url of [a, b]) {
      const before = await allprop(url, '/dav/props.txt');
      expect(before.status).toBe(207);
      expect(before.body).not.toContain('urn:cluster');
    }
    expect((await dav(a, 'PROPPATCH', '/dav/props.txt', { 'content-type': 'application/xml' }, proppatch('teal'))).status).toBe(207);
    const after = await allprop(b, '/dav/props.txt');
    expect(after.body).toContain('teal');
    // A COPY and a MOVE on B carry it, seen on A.
    expect((await dav(b, 'COPY', '/dav/props.txt', { destination: `${b}/dav/props-copy.txt` })).status).toBe(201);
    expect((await allprop(a, '/dav/props-copy.txt')).body).toContain('teal');
  });
});
