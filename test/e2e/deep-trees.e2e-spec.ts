import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeepTree, removeDeep, reservedNames, segmentOf, segments } from '../support/deep-tree.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

// Issue 15, part 5: folders nested beyond what the OS takes in one path (PATH_MAX, 4096 bytes),
// and link loops. A move or copy that would make such a tree is refused before it acts; a tree
// that is already there (older versions, or made on disk) answers contract codes everywhere and
// can be deleted.

const LOGIN = 'deepuser';
const PASSWORD = 'deepuser-login-password';
const q = (path: string) => encodeURIComponent(path);
const bytes = (s: string) => Buffer.byteLength(s);

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** A WebDAV request with Basic of the account, the target sent as written. */
function dav(base: string, method: string, target: string, headers: Record<string, string> = {}): Promise<Raw> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), method, path: target, headers: { authorization: basicHeader(LOGIN, PASSWORD), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: String(res.headers['content-type']).includes('json') && text ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('deep trees and link loops', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let user: HttpClient;
  let areaDir: string;

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.admin();
    // Imported before the Basic cut-off: Basic (WebDAV) with the login password.
    const created = await admin.post('/api/admin/accounts', { json: { login: LOGIN, password: PASSWORD, email: 'deep@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(created.status).toBe(201);
    areaDir = join(t.env.env.STORAGE_DIR!, created.body.id, 'main');
    user = t.client();
    await user.login(LOGIN, PASSWORD);
  });
  afterAll(async () => {
    if (areaDir) removeDeep(areaDir); // whatever a failed test left; fs.rm would stop at PATH_MAX
    await t?.stop();
  });

  const info = (path: string) => user.get(`/api/file/info?path=${q(path)}`);
  const storageReport = () => user.get('/api/stat/storage');

  describe('the attack: two folders 3,000+ bytes deep, one moved or copied into the other', () => {
    const a = `/a/${segments(15).join('/')}`; // 3,017 bytes
    const b = `/b/${segments(15, 200, 'e').join('/')}`;

    beforeAll(async () => {
      expect(bytes(a)).toBeGreaterThan(3000);
      for (const p of [a, b]) expect((await user.post('/api/file/mkdir', { json: { path: p } })).status).toBe(201);
      expect((await user.put(`/api/file/upload?path=${q(`${b}/note.txt`)}`, { body: 'deep note' })).status).toBe(201);
    });

    async function nothingMoved(): Promise<void> {
      expect((await info(`${b}/note.txt`)).status).toBe(200);
      expect((await info(`${a}/b`)).status).toBe(404);
      expect((await info(`${a}/b2`)).status).toBe(404);
    }

    it('file API: move and copy answer 400 path_too_long and change nothing', async () => {
      for (const op of ['move', 'copy']) {
        const res = await user.post(`/api/file/${op}`, { json: { from: '/b', to: `${a}/b` } });
        expect(res.status, res.text).toBe(400);
        expect(res.body.code).toBe('path_too_long');
      }
      await nothingMoved();
    });

    it('WebDAV: MOVE and COPY answer 400 path_too_long and change nothing', async () => {
      for (const method of ['MOVE', 'COPY']) {
        const res = await dav(t.url, method, '/dav/b', { destination: `${t.url}/dav${a}/b2` });
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body.code).toBe('path_too_long');
      }
      await nothingMoved();
    });

    it('leaves every route working: report, recursive listing, delete', async () => {
      const report = await storageReport();
      expect(report.status).toBe(200);
      expect(report.body.areas[0]).toMatchObject({ area: 'main', files: 1, bytes: 9, folders: 32 });
      const list = await user.get(`/api/file/list?path=/&recursive=true`);
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(33);
      // What fits still moves: b under a short name inside a.
      expect((await user.post('/api/file/move', { json: { from: '/b', to: '/a/b' } })).status).toBe(200);
      expect((await user.post('/api/file/delete', { json: { path: '/a' } })).status).toBe(204);
      expect(readdirSync(areaDir)).toEqual([]);
    });
  });

  describe('a tree already too deep, and link loops, on disk', () => {
    let deep: string;
    let edge: string;

    beforeAll(() => {
      // ~5,000 bytes of folders with a file at the bottom that nothing can reach.
      deep = makeDeepTree(areaDir, 'deep', segments(25), { name: 'bottom.txt', content: 'unreachable' });
      // A file whose user path (4,060 bytes) is valid, also as an ACL path ('/file/download/…'),
      // but too long once under the area's folder.
      edge = makeDeepTree(areaDir, 'edge', [...segments(18), segmentOf(232, 'e')], { name: segmentOf(203, 'f'), content: 'edge' });
      symlinkSync('.', join(areaDir, 'deep', 'loop')); // ln -s . loop
      symlinkSync('.', join(areaDir, 'self'));
      symlinkSync('cycle2', join(areaDir, 'cycle1'));
      symlinkSync('cycle1', join(areaDir, 'cycle2'));
    });
    const edgeFile = () => `${edge}/${segmentOf(203, 'f')}`;

    it('the storage report counts what can be reached (200)', async () => {
      expect(bytes(`${areaDir}${deep}`)).toBeGreaterThan(4096);
      const res = await storageReport();
      expect(res.status, res.text).toBe(200);
      const main = res.body.areas[0];
      expect(main).toMatchObject({ area: 'main', files: 0, bytes: 0 });
      expect(main.folders).toBeGreaterThan(30);
    });

    it('listings: the area answers 200, a recursive listing into the deep part 400 path_too_long, a loop 400 path_escape', async () => {
      const top = await user.get('/api/file/list?path=/');
      expect(top.status).toBe(200);
      expect(top.body.items.map((i: { name: string }) => i.name)).toEqual(['deep', 'edge']);
      const recursive = await user.get('/api/file/list?path=/&recursive=true');
      expect(recursive.status).toBe(400);
      expect(recursive.body.code).toBe('path_too_long');
      const tooDeep = await user.get(`/api/file/list?path=${q(edge)}`);
      expect(tooDeep.body.code).toBe('path_too_long');
      expect((await user.get('/api/file/list?path=/self')).status).toBe(200); // a link to the root itself
      const loop = await user.get('/api/file/list?path=/cycle1');
      expect(loop.status).toBe(400);
      expect(loop.body.code).toBe('path_escape');
    });

    it('download: 400 path_too_long past PATH_MAX, 400 path_escape through a loop', async () => {
      expect(bytes(edgeFile())).toBe(4060);
      expect(bytes(`${areaDir}${edgeFile()}`)).toBeGreaterThan(4096);
      const res = await user.get(`/api/file/download?path=${q(edgeFile())}`);
      expect(res.status, res.text).toBe(400);
      expect(res.body.code, res.text).toBe('path_too_long');
      expect((await user.get('/api/file/download?path=/cycle1/x')).body.code).toBe('path_escape');
      expect((await dav(t.url, 'GET', `/dav${edgeFile()}`)).body.code).toBe('path_too_long');
    });

    it('PROPFIND: Depth 1 on the mount and into the tree answers 207; past PATH_MAX 400 path_too_long; a loop 400 path_escape', async () => {
      for (const target of ['/dav/', '/dav/deep/', '/dav/self/', `/dav${deep.split('/').slice(0, 15).join('/')}/`]) {
        const res = await dav(t.url, 'PROPFIND', target, { depth: '1' });
        expect(res.status, target).toBe(207);
      }
      const tooDeep = await dav(t.url, 'PROPFIND', `/dav${edge}/`, { depth: '1' });
      expect(tooDeep.status).toBe(400);
      expect(tooDeep.body.code).toBe('path_too_long');
      const loop = await dav(t.url, 'PROPFIND', '/dav/cycle1/', { depth: '0' });
      expect(loop.status).toBe(400);
      expect(loop.body.code).toBe('path_escape');
    });

    it('is deleted: the file API (204) and WebDAV DELETE (204), links removed, nothing left behind', async () => {
      expect((await user.post('/api/file/delete', { json: { path: '/deep' } })).status).toBe(204);
      expect((await info('/deep')).status).toBe(404);
      expect((await dav(t.url, 'DELETE', '/dav/edge')).status).toBe(204);
      expect(existsSync(join(areaDir, 'edge'))).toBe(false);
      expect(readdirSync(areaDir).sort()).toEqual(['cycle1', 'cycle2', 'self']);
      expect(reservedNames(areaDir)).toEqual([]);
      // Every route is whole again.
      expect((await user.get('/api/file/list?path=/&recursive=true')).status).toBe(200);
      expect((await storageReport()).body.areas[0]).toMatchObject({ files: 0, folders: 0, bytes: 0 });
    });
  });
});
