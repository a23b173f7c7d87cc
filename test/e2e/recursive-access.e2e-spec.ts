import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { elementChildren, findElement, readXml, textOf } from '../../src/dav/core/xml-test-reader.js';
import { approvedApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { oauthApplication, tokensFor } from '../support/oauth.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { snapshotTree } from '../support/storage-tree.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

const OWNER = ['rec', 'rec-login-password'] as const;
const FILES = ['rec-files', 'files-password-1'] as const;
const DAV = ['rec-dav', 'dav-password-1'] as const;
const FILE_ACTIONS = ['list', 'info', 'download', 'upload', 'mkdir', 'move', 'copy', 'delete'];

/**
 * Issue 15's attack review: operations on a tree act on every member, so each member is decided
 * as its own request path would be (a deny rule beneath the target refuses the whole operation
 * before anything is done; listings leave denied members out). The customer's tree:
 * `/proj/pub/a.txt` and `/proj/secret/x.txt`; its sublogins may do everything but on `/proj/secret`.
 */
describe('access decided for every member of a tree', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let owner: HttpClient;
  let key: string;
  let mainDir: string;
  let before: Map<string, string>;

  const asFiles = { basic: [...FILES] as [string, string], headers: {} as Record<string, string> };
  const dav = (method: string, path: string, headers: Record<string, string> = {}, as: readonly [string, string] = DAV, body?: string) =>
    rawRequest(t.url + path, { method, headers: { authorization: basicHeader(as[0], as[1]), ...headers }, body });
  const LOCKINFO = '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
  const hrefs = (xml: string) =>
    elementChildren(readXml(xml))
      .filter((r) => r.local === 'response')
      .map((r) => decodeURIComponent(textOf(findElement(r, 'DAV:', 'href')!)));

  /** Refused with 403 acl_denied naming the member's rule, and the storage tree untouched. */
  async function expectRefusedUnchanged(res: Promise<{ status: number; body: any }>, rulePath: string): Promise<void> {
    const r = await res;
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.code).toBe('acl_denied');
    expect(r.body.message).toContain(rulePath);
    expect(r.body.details?.rule).toEqual({ path: rulePath, effect: 'deny' });
    expect(await snapshotTree(mainDir)).toEqual(before);
  }

  beforeAll(async () => {
    t = await startTestApp();
    key = (await approvedApplication(t)).key;
    asFiles.headers = { 'x-api-key': key };
    const admin = await t.admin();
    const created = await admin.post('/api/admin/accounts', { json: { login: OWNER[0], password: OWNER[1], email: 'rec@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(created.status).toBe(201);
    mainDir = join(t.env.env.STORAGE_DIR!, created.body.id, 'main');
    owner = t.client();
    await owner.login(OWNER[0], OWNER[1]);
    const rules = [
      { name: 'files', password: FILES[1], rules: [{ path: '/file/', effect: 'allow' }, ...FILE_ACTIONS.map((a) => ({ path: `/file/${a}/proj/secret`, effect: 'deny' }))] },
      { name: 'dav', password: DAV[1], rules: [{ path: '/dav/', effect: 'allow' }, ...['read', 'write', 'delete'].map((a) => ({ path: `/dav/${a}/proj/secret`, effect: 'deny' }))] },
    ];
    for (const s of rules) expect((await owner.post('/api/sublogin/create', { json: s })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
  });

  beforeEach(async () => {
    for (const [path, body] of [
      ['/proj/pub/a.txt', 'public'],
      ['/proj/secret/x.txt', 'secret'],
      ['/other/o.txt', 'other'],
    ]) {
      expect((await owner.put(`/api/file/upload?path=${path}`, { body })).status).toBeLessThan(300);
    }
    before = await snapshotTree(mainDir);
  });

  describe('file API', () => {
    it('refuses to copy a folder with a denied member, and copies nothing', async () => {
      await expectRefusedUnchanged(t.client().post('/api/file/copy', { ...asFiles, json: { from: '/proj', to: '/leak' } }), '/file/copy/proj/secret');
    });

    it('refuses to move a folder with a denied member out', async () => {
      await expectRefusedUnchanged(t.client().post('/api/file/move', { ...asFiles, json: { from: '/proj', to: '/moved' } }), '/file/move/proj/secret');
    });

    it('refuses to delete a folder with a denied member', async () => {
      await expectRefusedUnchanged(t.client().post('/api/file/delete', { ...asFiles, json: { path: '/proj' } }), '/file/delete/proj/secret');
    });

    it('refuses to replace a folder holding a denied member (copy or move onto it with overwrite)', async () => {
      await expectRefusedUnchanged(t.client().post('/api/file/copy', { ...asFiles, json: { from: '/other', to: '/proj', overwrite: true } }), '/file/copy/proj/secret');
      await expectRefusedUnchanged(t.client().post('/api/file/move', { ...asFiles, json: { from: '/other', to: '/proj', overwrite: true } }), '/file/move/proj/secret');
    });

    it('leaves denied members out of listings, recursive or not', async () => {
      const all = await t.client().get('/api/file/list?path=/&recursive=true', asFiles);
      expect(all.status).toBe(200);
      const paths = all.body.items.map((i: { path: string }) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['/proj', '/proj/pub', '/proj/pub/a.txt', '/other/o.txt']));
      expect(paths.filter((p: string) => p.startsWith('/proj/secret'))).toEqual([]);
      const proj = await t.client().get('/api/file/list?path=/proj', asFiles);
      expect(proj.body.items.map((i: { name: string }) => i.name)).toEqual(['pub']);
      // The owner still sees everything.
      expect((await owner.get('/api/file/list?path=/proj')).body.items.map((i: { name: string }) => i.name)).toEqual(['pub', 'secret']);
    });

    it('still copies, moves and deletes trees under which no rule denies', async () => {
      expect((await t.client().post('/api/file/copy', { ...asFiles, json: { from: '/proj/pub', to: '/pub-copy' } })).status).toBe(200);
      expect((await t.client().post('/api/file/move', { ...asFiles, json: { from: '/pub-copy', to: '/pub-moved' } })).status).toBe(200);
      expect((await t.client().get('/api/file/download?path=/pub-moved/a.txt', asFiles)).text).toBe('public');
      expect((await t.client().post('/api/file/delete', { ...asFiles, json: { path: '/pub-moved' } })).status).toBe(204);
      // The owner is not limited by any rule.
      expect((await owner.post('/api/file/copy', { json: { from: '/proj', to: '/owner-copy' } })).status).toBe(200);
      expect((await owner.post('/api/file/delete', { json: { path: '/owner-copy' } })).status).toBe(204);
    });
  });

  describe('WebDAV', () => {
    it('refuses COPY, MOVE and DELETE of a collection with a denied member', async () => {
      await expectRefusedUnchanged(dav('COPY', '/dav/proj/', { destination: '/dav/leak/' }), '/dav/read/proj/secret');
      await expectRefusedUnchanged(dav('MOVE', '/dav/proj/', { destination: '/dav/moved/' }), '/dav/delete/proj/secret');
      await expectRefusedUnchanged(dav('DELETE', '/dav/proj/'), '/dav/delete/proj/secret');
      // Overwriting a collection that holds a denied member writes over it.
      await expectRefusedUnchanged(dav('COPY', '/dav/other/', { destination: '/dav/proj/', overwrite: 'T' }), '/dav/write/proj/secret');
    });

    it('refuses a Depth: infinity LOCK over a denied member, and locks nothing', async () => {
      await expectRefusedUnchanged(dav('LOCK', '/dav/proj/', { depth: 'infinity', timeout: 'Infinite', 'content-type': 'application/xml' }, DAV, LOCKINFO), '/dav/write/proj/secret');
      // The owner's own write below is not locked out; a lock on the allowed part is granted.
      expect((await dav('PUT', '/dav/proj/secret/x.txt', {}, OWNER, 'secret')).status).toBe(204);
      const granted = await dav('LOCK', '/dav/proj/pub/', { depth: 'infinity', 'content-type': 'application/xml' }, DAV, LOCKINFO);
      expect(granted.status).toBe(200);
      const token = String(granted.headers['lock-token']);
      expect((await dav('UNLOCK', '/dav/proj/pub/', { 'lock-token': token })).status).toBe(204);
    });

    it('leaves denied members out of PROPFIND and the folder page', async () => {
      const listed = await dav('PROPFIND', '/dav/proj/', { depth: '1' });
      expect(listed.status).toBe(207);
      expect(hrefs(listed.body)).toEqual(['/dav/proj/', '/dav/proj/pub/']);
      const page = await dav('GET', '/dav/proj/');
      expect(page.body).toContain('pub/');
      expect(page.body).not.toContain('secret');
    });

    it('refuses COPY of such a collection on /v2/dav/ with the sublogin\'s Bearer token', async () => {
      const app = await oauthApplication(t, 'Recursive sync');
      const { access_token } = await tokensFor(t.url, { clientId: app.id, scope: 'dav', login: DAV[0], password: DAV[1] });
      const res = rawRequest(`${t.url}/v2/dav/proj/`, { method: 'COPY', headers: { authorization: `Bearer ${access_token}`, destination: '/v2/dav/leak/' } });
      await expectRefusedUnchanged(res, '/dav/read/proj/secret');
      const allowed = await rawRequest(`${t.url}/v2/dav/proj/pub/`, { method: 'COPY', headers: { authorization: `Bearer ${access_token}`, destination: '/v2/dav/pub-copy/' } });
      expect(allowed.status).toBe(201);
    });
  });
});
