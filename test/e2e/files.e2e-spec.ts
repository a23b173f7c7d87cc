import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { eventually, RawSession } from '../support/raw-session.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

const MAX_UPLOAD = 256 * 1024;
const PATH_CODES = ['path_invalid', 'path_escape', 'path_too_long'];
const q = (path: string) => encodeURIComponent(path);

describe('file API: /api/file/*', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let user: HttpClient;
  let raw: RawSession;
  let areaDir: string;
  let outsideDir: string;

  beforeAll(async () => {
    t = await startTestApp({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
    const admin = await t.admin();
    const created = await admin.post('/api/admin/accounts', { json: { login: 'filer', password: 'filer-password', email: 'f@example.com' } });
    expect(created.status).toBe(201);
    areaDir = join(t.env.env.STORAGE_DIR!, created.body.id, 'main');
    user = t.client();
    await user.login('filer', 'filer-password');
    raw = await RawSession.login(t.url, 'filer', 'filer-password');
    // Something outside the account's area that no request may reach.
    outsideDir = join(t.env.dir, 'outside');
    await mkdir(outsideDir, { recursive: true });
    await writeFile(join(outsideDir, 'secret.txt'), 'top secret');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const upload = (path: string, body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'application/octet-stream' }) =>
    user.put(`/api/file/upload?path=${q(path)}`, { body, headers });
  const download = (path: string, headers: Record<string, string> = {}) => raw.request('GET', `/api/file/download?path=${q(path)}`, { headers });

  async function outsideUntouched(): Promise<void> {
    expect(await readdir(outsideDir)).toEqual(['secret.txt']);
    expect(await readFile(join(outsideDir, 'secret.txt'), 'utf8')).toBe('top secret');
  }

  /** Upload temp files under `dir`. A recursive listing that meets a folder being removed (a failed
   *  upload removes the parents it made) is read again. */
  async function tempFilesUnder(dir: string): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await readdir(dir, { recursive: true })).filter((n) => /(^|\/)\.portcullis-/.test(n));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 5) throw err;
      }
    }
  }

  it('needs credentials', async () => {
    const res = await t.client().get('/api/file/list');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('authentication_required');
  });

  it('round-trips a binary file, streamed both ways, and replaces it atomically', async () => {
    const data = randomBytes(100_000);
    const up = await upload('/bin/data.bin', data);
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ name: 'data.bin', path: '/bin/data.bin', type: 'file', size: data.length });
    expect(up.body.etag).toMatch(/^"[0-9a-z-]+"$/);

    const down = await download('/bin/data.bin');
    expect(down.status).toBe(200);
    expect(down.bytes.equals(data)).toBe(true);
    expect(down.headers.get('content-length')).toBe(String(data.length));
    expect(down.headers.get('etag')).toBe(up.body.etag);
    expect(down.headers.get('accept-ranges')).toBe('bytes');
    expect(down.headers.get('content-type')).toBe('application/octet-stream');
    expect(down.headers.get('content-disposition')).toBe(`attachment; filename="data.bin"; filename*=UTF-8''data.bin`);
    expect(Date.parse(down.headers.get('last-modified')!)).not.toBeNaN();

    const again = randomBytes(10);
    const replaced = await upload('/bin/data.bin', again);
    expect(replaced.status).toBe(200);
    expect(replaced.body.etag).not.toBe(up.body.etag);
    expect((await download('/bin/data.bin')).bytes.equals(again)).toBe(true);
    expect(await tempFilesUnder(areaDir)).toEqual([]);
  });

  it('stores a body that looks like JSON or text as sent, whatever its Content-Type', async () => {
    for (const [name, type] of [
      ['a.json', 'application/json'],
      ['b.txt', 'text/plain; charset=utf-8'],
      ['c.form', 'application/x-www-form-urlencoded'],
      ['d.xml', 'application/xml'],
    ] as const) {
      const body = `{"not": "parsed", "broken": [ ${name} `;
      const res = await upload(`/typed/${name}`, body, { 'content-type': type });
      expect(res.status).toBe(201);
      expect((await download(`/typed/${name}`)).bytes.toString('utf8')).toBe(body);
    }
    const none = await user.put(`/api/file/upload?path=${q('/typed/none')}`, { body: 'no type' });
    expect(none.status).toBe(201);
    expect((await download('/typed/none')).bytes.toString()).toBe('no type');
    const empty = await upload('/typed/empty', new Uint8Array());
    expect(empty.body.size).toBe(0);
    // JSON routes still parse JSON.
    const bad = await user.post('/api/file/mkdir', { body: '{"path": ', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('malformed_json');
  });

  it('serves byte ranges, and 416 for a range outside the file', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    await upload('/range.txt', data);
    const part = await download('/range.txt', { range: 'bytes=5-9' });
    expect(part.status).toBe(206);
    expect(part.bytes.toString()).toBe('56789');
    expect(part.headers.get('content-range')).toBe('bytes 5-9/20');
    expect(part.headers.get('content-length')).toBe('5');

    expect((await download('/range.txt', { range: 'bytes=-3' })).bytes.toString()).toBe('hij');
    expect((await download('/range.txt', { range: 'bytes=15-' })).bytes.toString()).toBe('fghij');
    expect((await download('/range.txt', { range: 'bytes=18-1000' })).headers.get('content-range')).toBe('bytes 18-19/20');

    const outside = await download('/range.txt', { range: 'bytes=20-30' });
    expect(outside.status).toBe(416);
    expect(outside.json.code).toBe('range_not_satisfiable');
    expect(outside.headers.get('content-range')).toBe('bytes */20');

    for (const ignored of ['bytes=0-1,4-5', 'bytes=9-3', 'pages=1-2', 'bytes=x-']) {
      const whole = await download('/range.txt', { range: ignored });
      expect(whole.status).toBe(200);
      expect(whole.bytes.equals(data)).toBe(true);
    }
  });

  it('answers 304 to a current If-None-Match or If-Modified-Since, 412 to a failed If-Match, and drops a stale If-Range', async () => {
    await upload('/etag.txt', 'version one');
    const first = await download('/etag.txt');
    const etag = first.headers.get('etag')!;
    const cached = await download('/etag.txt', { 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.bytes.length).toBe(0);
    expect(cached.headers.get('etag')).toBe(etag);
    expect((await download('/etag.txt', { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
    expect((await download('/etag.txt', { 'if-none-match': '"other"' })).status).toBe(200);
    // The rest of RFC 9110's conditions, as WebDAV GET answers them (one serveFile for both).
    const modified = first.headers.get('last-modified')!;
    expect((await download('/etag.txt', { 'if-modified-since': modified })).status).toBe(304);
    const mismatch = await download('/etag.txt', { 'if-match': '"other"' });
    expect(mismatch.status).toBe(412);
    expect(mismatch.json.code).toBe('precondition_failed');
    expect((await download('/etag.txt', { 'if-match': etag })).status).toBe(200);
    expect((await download('/etag.txt', { 'if-unmodified-since': new Date(Date.parse(modified) - 60_000).toUTCString() })).status).toBe(412);

    expect((await download('/etag.txt', { range: 'bytes=0-6', 'if-range': etag })).status).toBe(206);
    await upload('/etag.txt', 'version two');
    const stale = await download('/etag.txt', { range: 'bytes=0-6', 'if-range': etag });
    expect(stale.status).toBe(200);
    expect(stale.bytes.toString()).toBe('version two');
    expect((await download('/etag.txt', { 'if-none-match': etag })).status).toBe(200);
  });

  it('answers HEAD on download with the headers only', async () => {
    await upload('/head.bin', randomBytes(4096));
    const head = await raw.request('HEAD', `/api/file/download?path=${q('/head.bin')}`);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('4096');
    expect(head.bytes.length).toBe(0);
  });

  it('lists folders with chosen fields, a name filter and recursion', async () => {
    await upload('/docs/a.txt', 'a');
    await upload('/docs/b.pdf', 'bb');
    await upload('/docs/sub/c.pdf', 'ccc');
    await upload('/docs/sub/deeper/d.pdf', 'dddd');

    const list = await user.get(`/api/file/list?path=${q('/docs')}`);
    expect(list.status).toBe(200);
    expect(list.body.path).toBe('/docs');
    expect(list.body.truncated).toBe(false);
    expect(list.body.items.map((i: { name: string }) => i.name)).toEqual(['a.txt', 'b.pdf', 'sub']);
    expect(list.body.items[0]).toEqual({ name: 'a.txt', path: '/docs/a.txt', type: 'file', size: 1, modified: expect.any(String), etag: expect.any(String) });
    expect(list.body.items[2]).toMatchObject({ type: 'directory', size: 0 });

    const picked = await user.get(`/api/file/list?path=/docs&fields=size,name`);
    expect(picked.body.items).toEqual([
      { name: 'a.txt', size: 1 },
      { name: 'b.pdf', size: 2 },
      { name: 'sub', size: 0 },
    ]);

    const pdfs = await user.get(`/api/file/list?path=docs/&filter_full_name=${q('*.pdf')}&fields=path`);
    expect(pdfs.body.items).toEqual([{ path: '/docs/b.pdf' }]);
    const deep = await user.get(`/api/file/list?path=/docs&recursive=true&filter_full_name=${q('*.pdf')}&fields=path`);
    expect(deep.body.items).toEqual([{ path: '/docs/b.pdf' }, { path: '/docs/sub/c.pdf' }, { path: '/docs/sub/deeper/d.pdf' }]);
    const all = await user.get(`/api/file/list?path=/docs&recursive=1&fields=path`);
    expect(all.body.items.map((i: { path: string }) => i.path)).toEqual([
      '/docs/a.txt',
      '/docs/b.pdf',
      '/docs/sub',
      '/docs/sub/c.pdf',
      '/docs/sub/deeper',
      '/docs/sub/deeper/d.pdf',
    ]);
    expect((await user.get('/api/file/list?path=/docs&filter_full_name=a.txt&fields=name')).body.items).toEqual([{ name: 'a.txt' }]);

    const root = await user.get('/api/file/list?fields=name');
    expect(root.body.path).toBe('/');
    expect(root.body.items).toContainEqual({ name: 'docs' });

    for (const bad of ['fields=password', 'fields=name,', 'recursive=maybe', 'filter_full_name=', 'path=/a&path=/b', 'unknown=1']) {
      const res = await user.get(`/api/file/list?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.code, bad).toBe('validation_failed');
    }
    expect((await user.get(`/api/file/list?path=${q('/docs/a.txt')}`)).body.code).toBe('conflict');
    expect((await user.get(`/api/file/list?path=${q('/nope')}`)).body.code).toBe('not_found');
  });

  it('describes files and folders', async () => {
    await upload('/info/x.txt', 'xyz');
    expect((await user.get(`/api/file/info?path=${q('/info/x.txt')}`)).body).toMatchObject({ name: 'x.txt', path: '/info/x.txt', type: 'file', size: 3 });
    expect((await user.get(`/api/file/info?path=${q('/info')}&fields=type`)).body).toEqual({ type: 'directory' });
    expect((await user.get('/api/file/info?path=/&fields=name,path')).body).toEqual({ name: '', path: '/' });
    const missing = await user.get(`/api/file/info?path=${q('/info/none')}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    expect((await user.get('/api/file/info')).body.code).toBe('validation_failed');
    const folder = await download('/info');
    expect(folder.status).toBe(409);
  });

  it('makes folders, moves, copies and deletes', async () => {
    const made = await user.post('/api/file/mkdir', { json: { path: '/ops/a/b' } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ path: '/ops/a/b', type: 'directory' });
    expect((await user.post('/api/file/mkdir', { json: { path: '/ops/a/b' } })).body.code).toBe('conflict');
    await upload('/ops/a/b/f.txt', 'hello');
    await upload('/ops/other.txt', 'other');

    // copy a tree
    const copied = await user.post('/api/file/copy', { json: { from: '/ops/a', to: '/ops/a-copy' } });
    expect(copied.status).toBe(200);
    expect(copied.body).toMatchObject({ entry: { path: '/ops/a-copy', type: 'directory' }, replaced: false });
    expect((await download('/ops/a-copy/b/f.txt')).bytes.toString()).toBe('hello');
    expect((await user.post('/api/file/copy', { json: { from: '/ops/a', to: '/ops/a/b/inside' } })).body.code).toBe('conflict');
    expect((await user.post('/api/file/copy', { json: { from: '/ops/a', to: '/ops/a' } })).body.code).toBe('conflict');

    // move a file: refused onto an existing target, unless overwrite
    const clash = await user.post('/api/file/move', { json: { from: '/ops/other.txt', to: '/ops/a/b/f.txt' } });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('conflict');
    const over = await user.post('/api/file/move', { json: { from: '/ops/other.txt', to: '/ops/a/b/f.txt', overwrite: true } });
    expect(over.status).toBe(200);
    expect(over.body.replaced).toBe(true);
    expect((await download('/ops/a/b/f.txt')).bytes.toString()).toBe('other');
    expect((await user.get(`/api/file/info?path=${q('/ops/other.txt')}`)).status).toBe(404);

    // move a folder to a new parent (created on the way)
    const moved = await user.post('/api/file/move', { json: { from: '/ops/a-copy', to: '/ops/new/place' } });
    expect(moved.body.entry.path).toBe('/ops/new/place');
    expect((await download('/ops/new/place/b/f.txt')).bytes.toString()).toBe('hello');
    expect((await user.post('/api/file/move', { json: { from: '/ops/missing', to: '/ops/x' } })).body.code).toBe('not_found');
    expect((await user.post('/api/file/move', { json: { from: '/ops/new', to: '/ops/new/place/inner' } })).body.code).toBe('conflict');
    expect((await user.post('/api/file/move', { json: { from: '/ops/a', to: '/ops/b', overwrite: 'yes' } })).body.code).toBe('validation_failed');

    // copy a file over a folder with overwrite replaces the folder
    const replaced = await user.post('/api/file/copy', { json: { from: '/ops/a/b/f.txt', to: '/ops/new', overwrite: true } });
    expect(replaced.body).toMatchObject({ entry: { path: '/ops/new', type: 'file', size: 5 }, replaced: true });

    // delete
    expect((await user.post('/api/file/delete', { json: { path: '/ops/a' } })).status).toBe(204);
    expect((await user.get(`/api/file/info?path=${q('/ops/a')}`)).status).toBe(404);
    expect((await user.post('/api/file/delete', { json: { path: '/ops/a' } })).body.code).toBe('not_found');
  });

  it('refuses to delete, move or overwrite the storage root', async () => {
    for (const path of ['/', '', '.', '//', '/./']) {
      const res = await user.post('/api/file/delete', { json: { path } });
      expect(res.status, JSON.stringify(path)).toBe(400);
      expect(res.body.code).toBe('path_invalid');
    }
    expect((await user.post('/api/file/move', { json: { from: '/', to: '/elsewhere' } })).body.code).toBe('path_invalid');
    expect((await user.post('/api/file/copy', { json: { from: '/docs', to: '/' , overwrite: true } })).body.code).toBe('conflict');
    expect((await upload('/', 'x')).body.code).toBe('conflict');
    expect((await stat(areaDir)).isDirectory()).toBe(true);
    expect((await user.get('/api/file/list?fields=name')).body.items.length).toBeGreaterThan(0);
  });

  it('refuses to move or copy onto a folder that contains the source, losing nothing', async () => {
    expect((await upload('/nest/inner/keep.txt', 'precious')).status).toBe(201);
    for (const verb of ['move', 'copy']) {
      const res = await user.post(`/api/file/${verb}`, { json: { from: '/nest/inner', to: '/nest', overwrite: true } });
      expect(res.status, verb).toBe(409);
      expect(res.body.code).toBe('conflict');
    }
    expect((await user.get('/api/file/download?path=/nest/inner/keep.txt')).text).toBe('precious');
  });

  describe('paths never leave the area', () => {
    // Each spelling as the handler receives it (the query string or JSON is decoded once).
    const tricks = ['..', '../secret.txt', '/..', 'a/../../x', '/a/b/../../../x', '../../outside/secret.txt', 'x\0y', '\0', 'a\\..\\..\\b', '\\outside', 'a/\u0001b', '/' + 'a'.repeat(256)];

    beforeAll(async () => {
      await upload('/ok.txt', 'fine');
      await mkdir(areaDir, { recursive: true });
      // Planted by someone with disk access: links out of the area.
      await symlink(outsideDir, join(areaDir, 'link'));
      await symlink(join(outsideDir, 'secret.txt'), join(areaDir, 'filelink'));
      await symlink(join(outsideDir, 'nowhere'), join(areaDir, 'dangling'));
    });

    async function expectRefused(res: { status: number; body?: any; json?: any }, what: string): Promise<void> {
      expect(res.status, what).toBe(400);
      expect(PATH_CODES, what).toContain((res.body ?? res.json).code);
    }

    it('refuses `..`, NUL, control characters, backslashes and over-long names on every parameter', async () => {
      for (const p of tricks) {
        const what = JSON.stringify(p);
        await expectRefused(await user.get(`/api/file/list?path=${q(p)}`), `list ${what}`);
        await expectRefused(await user.get(`/api/file/info?path=${q(p)}`), `info ${what}`);
        await expectRefused(await download(p), `download ${what}`);
        await expectRefused(await upload(p, 'pwned'), `upload ${what}`);
        await expectRefused(await user.post('/api/file/mkdir', { json: { path: p } }), `mkdir ${what}`);
        await expectRefused(await user.post('/api/file/delete', { json: { path: p } }), `delete ${what}`);
        for (const op of ['move', 'copy']) {
          await expectRefused(await user.post(`/api/file/${op}`, { json: { from: p, to: '/dest.txt' } }), `${op} from ${what}`);
          await expectRefused(await user.post(`/api/file/${op}`, { json: { from: '/ok.txt', to: p } }), `${op} to ${what}`);
        }
      }
      await outsideUntouched();
      expect((await download('/ok.txt')).bytes.toString()).toBe('fine');
    });

    it('decodes the query string once: %2e%2e is `..` there, %252e%252e a literal name', async () => {
      await expectRefused(await raw.request('GET', '/api/file/download?path=%2e%2e/%2e%2e/outside/secret.txt'), 'encoded dots');
      await expectRefused(await raw.request('GET', '/api/file/download?path=%2E%2E%2Fsecret.txt'), 'encoded slash');
      await expectRefused(await raw.request('GET', '/api/file/list?path=%00'), 'encoded NUL');
      await expectRefused(await raw.request('GET', '/api/file/list?path=a%5C..%5C..'), 'encoded backslash');
      await expectRefused(await raw.request('PUT', '/api/file/upload?path=%2e%2e%2fescape.txt', { body: 'x' }), 'encoded upload');
      const literal = await raw.request('PUT', '/api/file/upload?path=%252e%252e/inside.txt', { body: 'x' });
      expect(literal.status).toBe(201);
      expect(literal.json.path).toBe('/%2e%2e/inside.txt');
      expect(await readFile(join(areaDir, '%2e%2e', 'inside.txt'), 'utf8')).toBe('x');
      await outsideUntouched();
    });

    it('refuses symlinks that lead outside, for reading, writing, listing and deleting', async () => {
      const through = ['/link/secret.txt', '/link', '/filelink', '/dangling', '/dangling/x'];
      for (const p of through) {
        await expectRefused(await download(p), `download ${p}`);
        await expectRefused(await user.get(`/api/file/info?path=${q(p)}`), `info ${p}`);
        await expectRefused(await user.get(`/api/file/list?path=${q(p)}`), `list ${p}`);
        await expectRefused(await user.post('/api/file/delete', { json: { path: p } }), `delete ${p}`);
      }
      await expectRefused(await upload('/link/new.txt', 'pwned'), 'upload through link');
      await expectRefused(await upload('/filelink', 'pwned'), 'upload over file link');
      await expectRefused(await upload('/dangling', 'pwned'), 'upload through dangling link');
      await expectRefused(await user.post('/api/file/mkdir', { json: { path: '/link/dir' } }), 'mkdir through link');
      await expectRefused(await user.post('/api/file/move', { json: { from: '/ok.txt', to: '/link/ok.txt' } }), 'move into link');
      await expectRefused(await user.post('/api/file/copy', { json: { from: '/filelink', to: '/stolen.txt' } }), 'copy from link');
      await expectRefused(await user.post('/api/file/copy', { json: { from: '/ok.txt', to: '/dangling' } }), 'copy onto dangling link');
      // Links are not listed at all.
      const names = (await user.get('/api/file/list?fields=name')).body.items.map((i: { name: string }) => i.name);
      expect(names).not.toContain('link');
      expect(names).not.toContain('filelink');
      expect(names).not.toContain('dangling');
      await outsideUntouched();
      expect(await readdir(join(outsideDir))).not.toContain('nowhere');
    });
  });

  it('leaves nothing behind when an upload is cut off mid-body', async () => {
    const socket = await raw.startUpload(`/api/file/upload?path=${q('/cut/partial.bin')}`, 200_000, randomBytes(64 * 1024));
    // The upload is under way once its temp file exists; the listing never shows it.
    await eventually(async () => (await tempFilesUnder(areaDir).catch(() => [])).length > 0, 5_000, 'the temp file');
    const listed = await user.get(`/api/file/list?path=${q('/cut')}&fields=name`);
    expect(listed.body.items).toEqual([]);
    socket.destroy();
    await eventually(async () => (await tempFilesUnder(areaDir)).length === 0, 5_000, 'the temp file to go');
    expect((await user.get(`/api/file/info?path=${q('/cut/partial.bin')}`)).status).toBe(404);
  });

  it('refuses an upload over MAX_UPLOAD_BYTES with 413 and stores nothing', async () => {
    const declared = await upload('/big/declared.bin', randomBytes(MAX_UPLOAD + 1));
    expect(declared.status).toBe(413);
    expect(declared.body.code).toBe('payload_too_large');

    // Without Content-Length the limit is found mid-stream; the answer is still a 413.
    const chunk = randomBytes(64 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_UPLOAD + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await raw.request('PUT', `/api/file/upload?path=${q('/big/streamed.bin')}`, { body });
    expect(streamed.status).toBe(413);
    expect(streamed.json.code).toBe('payload_too_large');

    const exact = await upload('/big/exact.bin', randomBytes(MAX_UPLOAD));
    expect(exact.status).toBe(201);
    const names = (await user.get('/api/file/list?path=/big&fields=name')).body.items.map((i: { name: string }) => i.name);
    expect(names).toEqual(['exact.bin']);
    expect(await tempFilesUnder(areaDir)).toEqual([]);
  });

  it("lets a sublogin (Basic) act on its customer's files as far as its rules allow, on both ends of a move", async () => {
    const created = await user.post('/api/sublogin/create', {
      json: {
        name: 'worker',
        password: 'worker-password-1',
        rules: [
          { path: '/file/', effect: 'allow' },
          { path: '/file/delete/keep', effect: 'deny' },
          { path: '/file/move/locked', effect: 'deny' },
          { path: '/file/copy/locked', effect: 'deny' },
        ],
      },
    });
    expect(created.status).toBe(201);
    const { key } = await approvedApplication(t); // Basic on /api/file needs an application's key
    const basic = ['filer-worker', 'worker-password-1'] as [string, string];
    const plain = t.client();
    const withKey = (opts: Record<string, unknown>) => ({ ...opts, headers: { ...(opts.headers as object), 'x-api-key': key } });
    const sub = {
      put: (path: string, opts: Record<string, unknown>) => plain.put(path, withKey(opts)),
      post: (path: string, opts: Record<string, unknown>) => plain.post(path, withKey(opts)),
    };

    const up = await sub.put(`/api/file/upload?path=${q('/work/a.txt')}`, { basic, body: 'by the worker', headers: { 'content-type': 'text/plain' } });
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    expect((await download('/work/a.txt')).bytes.toString()).toBe('by the worker'); // the customer's storage
    await upload('/keep/x.txt', 'keep me');
    await upload('/locked/c.txt', 'locked');

    const del = await sub.post('/api/file/delete', { basic, json: { path: '/keep/x.txt' } });
    expect(del.status).toBe(403);
    expect(del.body).toMatchObject({ code: 'acl_denied', message: expect.stringContaining('/file/delete/keep/x.txt') });
    for (const [from, to] of [
      ['/work/a.txt', '/locked/a.txt'],
      ['/locked/c.txt', '/work/c.txt'],
    ]) {
      for (const op of ['move', 'copy']) {
        const res = await sub.post(`/api/file/${op}`, { basic, json: { from, to } });
        expect(res.status, `${op} ${from} → ${to}`).toBe(403);
        expect(res.body.code).toBe('acl_denied');
      }
    }
    // A non-string end is decided as the bare action, and then refused by validation.
    expect((await sub.post('/api/file/move', { basic, json: { from: ['/locked/c.txt'], to: '/work/c.txt' } })).status).toBe(400);
    expect((await sub.post('/api/file/move', { basic, json: { from: '/work/a.txt', to: '/work/b.txt' } })).status).toBe(200);
    expect((await sub.post('/api/file/delete', { basic, json: { path: '/work/b.txt' } })).status).toBe(204);
    expect((await user.get(`/api/file/info?path=${q('/keep/x.txt')}`)).status).toBe(200);
    expect((await user.get(`/api/file/info?path=${q('/locked/c.txt')}`)).status).toBe(200);
    // Spellings of a denied path are decided as the denied path.
    const sneaky = await sub.post('/api/file/delete', { basic, json: { path: '/work/../keep/x.txt' } });
    expect(sneaky.status).toBe(403);
  });

  it('refuses a session upload without the CSRF token, storing nothing', async () => {
    const res = await raw.request('PUT', `/api/file/upload?path=${q('/csrf.txt')}`, { body: 'x', csrf: false });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('csrf_failed');
    expect((await user.get(`/api/file/info?path=${q('/csrf.txt')}`)).status).toBe(404);
  });
});
