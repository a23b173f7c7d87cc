import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementChildren, findElement, type InfoElement, readXml, textOf } from '../../src/dav/core/xml-test-reader.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader } from '../support/raw-request.js';
import { RawSession } from '../support/raw-session.js';
import { startApp, startTestApp, type TestApp } from '../support/test-app.js';
import { ADMIN_PASSWORD, type TestEnv } from '../support/test-env.js';
import { PageClient } from '../support/web-pages.js';

const DAV = 'DAV:';
const DEFAULT_QUOTA = 5000;
/** Imported (legacy) accounts: Basic with the login password, as WebDAV clients send it. */
const LEGACY = { registeredAt: '2020-01-01T00:00:00Z' };

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** JSON errors parsed, everything else as text. */
  body: any;
}

function respond(resolve: (r: Res) => void, reject: (e: unknown) => void) {
  return (res: import('node:http').IncomingMessage) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const json = String(res.headers['content-type']).includes('json') && text !== '';
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: json ? JSON.parse(text) : text });
    });
  };
}

/** One request; a Buffer or string body goes with its Content-Length. */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers }, respond(resolve, reject));
    req.on('error', reject);
    req.end(body);
  });
}

/** A body sent chunked: the server learns its size only by reading it. */
function sendChunked(base: string, method: string, path: string, headers: Record<string, string>, chunks: Buffer[]): Promise<Res> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(new URL(path, base), { method, headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      respond(resolve, reject)(res);
    });
    // A refusal closes the connection: writes after the answer may fail, which is no error here.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    for (const c of chunks) req.write(c);
    req.end();
  });
}

/**
 * Announces `announced` bytes and sends only `first`: an answer can only come if the server
 * decided without reading the body. The rest is never sent; the connection is dropped after.
 */
function sendAnnouncedOnly(base: string, method: string, path: string, headers: Record<string, string>, announced: number, first: Buffer): Promise<Res> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(new URL(path, base), { method, headers: { ...headers, 'content-length': String(announced) } }, (res) => {
      answered = true;
      respond((r) => {
        resolve(r);
        req.destroy();
      }, reject)(res);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.write(first);
  });
}

/** `{name: text}` of the properties reported with `status` in the response for `href`. */
function propsOf(xml: string, href: string, status: number): Record<string, string> {
  const response = elementChildren(readXml(xml)).find((r) => r.local === 'response' && decodeURIComponent(textOf(findElement(r, DAV, 'href')!)) === href);
  if (!response) throw new Error(`no response for ${href} in ${xml}`);
  const out: Record<string, string> = {};
  for (const ps of elementChildren(response).filter((e) => e.local === 'propstat')) {
    if (!textOf(findElement(ps, DAV, 'status')!).includes(` ${status} `)) continue;
    for (const p of elementChildren(findElement(ps, DAV, 'prop')!)) out[p.local] = textOf(p);
  }
  return out;
}

const allElements = (el: InfoElement): InfoElement[] => [el, ...elementChildren(el).flatMap(allElements)];

const PROPFIND_QUOTA = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/><D:resourcetype/></D:prop></D:propfind>';

describe('storage quotas: WebDAV, file API, operator API and pages, storage report', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  const ids: Record<string, string> = {};
  const sessions: Record<string, RawSession> = {};
  const clients: Record<string, HttpClient> = {};

  async function customer(login: string): Promise<void> {
    const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-password`, email: `${login}@example.com`, ...LEGACY } });
    expect(res.status, res.text).toBe(201);
    ids[login] = res.body.id;
    sessions[login] = await RawSession.login(t.url, login, `${login}-password`);
    clients[login] = t.client();
    await clients[login].login(login, `${login}-password`);
  }

  const dav = (login: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) =>
    send(t.url, method, path, { authorization: basicHeader(login, `${login}-password`), ...headers }, body);
  const davChunked = (login: string, path: string, chunks: Buffer[]) => sendChunked(t.url, 'PUT', path, { authorization: basicHeader(login, `${login}-password`) }, chunks);
  const session = (login: string) => ({ cookie: sessions[login]!.cookie, 'x-csrf-token': sessions[login]!.csrf });
  const upload = (login: string, path: string, body: Buffer) => send(t.url, 'PUT', `/api/file/upload?path=${encodeURIComponent(path)}`, { ...session(login), 'content-type': 'application/octet-stream' }, body);
  const uploadChunked = (login: string, path: string, chunks: Buffer[]) =>
    sendChunked(t.url, 'PUT', `/api/file/upload?path=${encodeURIComponent(path)}`, { ...session(login), 'content-type': 'application/octet-stream' }, chunks);
  const info = (login: string, path: string) => clients[login]!.get(`/api/file/info?path=${encodeURIComponent(path)}`);
  const quotaOf = async (login: string) => (await admin.get(`/api/admin/accounts/${ids[login]}/quota`)).body;
  const areaDir = (login: string, area: 'main' | 'backup') => join(t.env.env.STORAGE_DIR!, ids[login]!, area);
  const tempFiles = async (login: string) => (await readdir(areaDir(login, 'main'), { recursive: true }).catch(() => [] as string[])).filter((n) => n.includes('.portcullis-'));

  function expectQuotaExceeded(res: Res): void {
    expect(res.status, JSON.stringify(res.body)).toBe(507);
    expect(res.body.code).toBe('quota_exceeded');
  }

  beforeAll(async () => {
    t = await startTestApp({ STORAGE_QUOTA_BYTES: String(DEFAULT_QUOTA), MAX_UPLOAD_BYTES: String(1024 * 1024) });
    admin = await t.admin();
    for (const login of ['quser', 'dflt', 'free']) await customer(login);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lets the operator read, set and reset an account quota through the API', async () => {
    expect(await quotaOf('quser')).toEqual({ accountId: ids.quser, setting: 'default', quotaBytes: DEFAULT_QUOTA, defaultBytes: DEFAULT_QUOTA, usedBytes: 0, availableBytes: DEFAULT_QUOTA });

    const set = await admin.put(`/api/admin/accounts/${ids.quser}/quota`, { json: { bytes: 1000 } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toEqual({ accountId: ids.quser, setting: 'bytes', quotaBytes: 1000, defaultBytes: DEFAULT_QUOTA, usedBytes: 0, availableBytes: 1000 });

    const unlimited = await admin.put(`/api/admin/accounts/${ids.free}/quota`, { json: { bytes: null } });
    expect(unlimited.body).toMatchObject({ setting: 'unlimited', quotaBytes: null, availableBytes: null });

    for (const body of [{}, { bytes: -1 }, { bytes: 1.5 }, { bytes: '1000' }, { bytes: 2 ** 51 }, { bytes: 10, extra: 1 }]) {
      const res = await admin.put(`/api/admin/accounts/${ids.quser}/quota`, { json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await admin.put('/api/admin/accounts/00000000-0000-4000-8000-000000000000/quota', { json: { bytes: 1 } })).status).toBe(404);
    // Customers cannot set their own.
    const self = await clients.quser!.put(`/api/admin/accounts/${ids.quser}/quota`, { json: { bytes: 10 ** 9 } });
    expect(self.status).toBe(403);
    expect((await quotaOf('quser')).quotaBytes).toBe(1000);

    const audit = await admin.get('/api/admin/audit?type=admin.account.quota');
    expect(audit.body).toEqual(expect.arrayContaining([expect.objectContaining({ login: 'quser', detail: { setting: 'bytes', bytes: 1000 } })]));
  });

  it('stores a WebDAV PUT under the quota, refuses one over it with 507 quota_exceeded and stores nothing', async () => {
    expect((await dav('quser', 'PUT', '/dav/a.bin', randomBytes(600))).status).toBe(201);

    // With Content-Length: refused before the body is read (only part of it is ever sent).
    expectQuotaExceeded(await sendAnnouncedOnly(t.url, 'PUT', '/dav/b.bin', { authorization: basicHeader('quser', 'quser-password') }, 600, randomBytes(100)));
    expectQuotaExceeded(await dav('quser', 'PUT', '/dav/b.bin', randomBytes(600)));
    // Without it: cut off where the quota ends.
    expectQuotaExceeded(await davChunked('quser', '/dav/c.bin', [randomBytes(250), randomBytes(250), randomBytes(250)]));
    for (const p of ['/dav/b.bin', '/dav/c.bin']) expect((await dav('quser', 'GET', p)).status).toBe(404);
    expect(await tempFiles('quser')).toEqual([]);

    // A chunked PUT that fits; then a replacement that fits only because it frees the old file.
    expect((await davChunked('quser', '/dav/c.bin', [randomBytes(150), randomBytes(150)])).status).toBe(201);
    expect((await dav('quser', 'PUT', '/dav/a.bin', randomBytes(700))).status).toBe(204);
    expect((await quotaOf('quser')).usedBytes).toBe(1000);
    // Full: an empty file still fits, a byte does not.
    expect((await dav('quser', 'PUT', '/dav/empty.txt', '')).status).toBe(201);
    expectQuotaExceeded(await dav('quser', 'PUT', '/dav/one.txt', 'x'));
  });

  it('counts the backup area against the same quota', async () => {
    expectQuotaExceeded(await dav('quser', 'PUT', '/backup/x.bin', 'x'));
    expect((await dav('quser', 'GET', '/backup/x.bin')).status).toBe(404);
  });

  it('refuses file API uploads over the quota, with and without Content-Length, storing nothing', async () => {
    expectQuotaExceeded(await upload('quser', '/new/d.bin', randomBytes(10)));
    expectQuotaExceeded(await uploadChunked('quser', '/new/e.bin', [randomBytes(5), randomBytes(5)]));
    // Not even the parent folders the upload would have made.
    for (const p of ['/new/d.bin', '/new/e.bin', '/new']) expect((await info('quser', p)).status).toBe(404);
    expect(await tempFiles('quser')).toEqual([]);
  });

  it('frees the space of what is deleted, through either interface', async () => {
    expect((await dav('quser', 'DELETE', '/dav/c.bin')).status).toBe(204);
    expect((await quotaOf('quser')).availableBytes).toBe(300);
    // Content-Length over what is free: refused before the body is read (only part of it is sent).
    const announced = await sendAnnouncedOnly(t.url, 'PUT', `/api/file/upload?path=${encodeURIComponent('/new/d.bin')}`, { ...session('quser'), 'content-type': 'application/octet-stream' }, 600, randomBytes(100));
    expectQuotaExceeded(announced);
    expect(announced.headers.connection).toBe('close');
    expect((await info('quser', '/new')).status).toBe(404);
    expect((await upload('quser', '/f.bin', randomBytes(250))).status).toBe(201);
    expect((await clients.quser!.post('/api/file/delete', { json: { path: '/f.bin' } })).status).toBe(204);
    expect((await quotaOf('quser')).availableBytes).toBe(300);
    expect((await uploadChunked('quser', '/g.bin', [randomBytes(100), randomBytes(100)])).status).toBe(201);
    expect((await quotaOf('quser')).availableBytes).toBe(100);
  });

  it('refuses a copy that would exceed the quota (WebDAV COPY, file API copy), copying nothing', async () => {
    const copy = await dav('quser', 'COPY', '/dav/a.bin', undefined, { destination: `${t.url}/dav/a-copy.bin` });
    expectQuotaExceeded(copy);
    expect((await dav('quser', 'GET', '/dav/a-copy.bin')).status).toBe(404);

    expect((await dav('quser', 'MKCOL', '/dav/tree')).status).toBe(201);
    expect((await dav('quser', 'COPY', '/dav/g.bin', undefined, { destination: `${t.url}/dav/tree/g.bin` })).status).toBe(507);
    const api = await clients.quser!.post('/api/file/copy', { json: { from: '/g.bin', to: '/tree/g2.bin' } });
    expect(api.status).toBe(507);
    expect(api.body.code).toBe('quota_exceeded');
    expect((await info('quser', '/tree/g2.bin')).status).toBe(404);
    // Overwriting a bigger target frees its bytes: the copy of g.bin (200) onto a.bin (700) fits.
    expect((await dav('quser', 'COPY', '/dav/g.bin', undefined, { destination: `${t.url}/dav/a.bin` })).status).toBe(204);
    expect((await quotaOf('quser')).usedBytes).toBe(400);
    // A folder copy is measured whole before anything is copied.
    expect((await dav('quser', 'PUT', '/dav/tree/h.bin', randomBytes(350))).status).toBe(201);
    const tree = await dav('quser', 'COPY', '/dav/tree', undefined, { destination: `${t.url}/dav/tree2`, depth: 'infinity' });
    expectQuotaExceeded(tree);
    expect((await dav('quser', 'PROPFIND', '/dav/tree2', undefined, { depth: '0' })).status).toBe(404);
    expect((await quotaOf('quser')).usedBytes).toBe(750);
  });

  it('answers RFC 4331 quota properties on collections when asked for by name, never in allprop', async () => {
    const used = (await quotaOf('quser')).usedBytes;
    // One figure for the account: the same on both mounts.
    for (const path of ['/dav/', '/backup/']) {
      const res = await dav('quser', 'PROPFIND', path, PROPFIND_QUOTA, { depth: '0', 'content-type': 'application/xml' });
      expect(res.status).toBe(207);
      expect(propsOf(res.body, path, 200)).toMatchObject({ 'quota-used-bytes': String(used), 'quota-available-bytes': String(1000 - used) });
    }
    // Depth 1: every collection has them; a file does not (404 for both).
    const listing = await dav('quser', 'PROPFIND', '/dav/', PROPFIND_QUOTA, { depth: '1', 'content-type': 'application/xml' });
    expect(propsOf(listing.body, '/dav/tree/', 200)).toMatchObject({ 'quota-used-bytes': String(used) });
    expect(Object.keys(propsOf(listing.body, '/dav/a.bin', 404)).sort()).toEqual(['quota-available-bytes', 'quota-used-bytes']);

    // allprop (an empty body too) leaves them out; allprop with include and propname name them.
    for (const body of ['', '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>']) {
      const all = await dav('quser', 'PROPFIND', '/dav/', body, { depth: '1' });
      expect(all.status).toBe(207);
      expect(allElements(readXml(all.body)).filter((e) => e.local.startsWith('quota'))).toEqual([]);
      expect(propsOf(all.body, '/dav/', 200)).toHaveProperty('resourcetype');
    }
    const include = await dav('quser', 'PROPFIND', '/dav/', '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/><D:include><D:quota-used-bytes/></D:include></D:propfind>', { depth: '0' });
    expect(propsOf(include.body, '/dav/', 200)).toMatchObject({ 'quota-used-bytes': String(used) });
    const names = await dav('quser', 'PROPFIND', '/dav/', '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>', { depth: '0' });
    expect(Object.keys(propsOf(names.body, '/dav/', 200))).toEqual(expect.arrayContaining(['quota-available-bytes', 'quota-used-bytes']));

    // Live and protected: PROPPATCH cannot set them.
    const patch = await dav('quser', 'PROPPATCH', '/dav/', '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:quota-used-bytes>0</D:quota-used-bytes></D:prop></D:set></D:propertyupdate>');
    expect(Object.keys(propsOf(patch.body, '/dav/', 403))).toEqual(['quota-used-bytes']);

    // Without a quota: the used bytes, and the filesystem's free space as what is available.
    expect((await dav('free', 'PUT', '/dav/z.bin', randomBytes(10))).status).toBe(201);
    const free = propsOf((await dav('free', 'PROPFIND', '/dav/', PROPFIND_QUOTA, { depth: '0' })).body, '/dav/', 200);
    expect(free['quota-used-bytes']).toBe('10');
    expect(Number(free['quota-available-bytes'])).toBeGreaterThan(0);
  });

  it('shows the quota, the bytes used and what is available in the storage report', async () => {
    const res = await clients.quser!.get('/api/stat/storage');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      areas: [
        { area: 'main', bytes: 750, files: 4, folders: 1 }, // a.bin, empty.txt, g.bin, tree/h.bin
        { area: 'backup', bytes: 0, files: 0, folders: 0 },
      ],
      usedBytes: 750,
      quotaBytes: 1000,
      availableBytes: 250,
    });
    const unlimited = await clients.free!.get('/api/stat/storage');
    expect(unlimited.body).toMatchObject({ usedBytes: 10, quotaBytes: null, availableBytes: null });
  });

  it('measures again when asked for the report: files changed on disk are counted from then on', async () => {
    // Written past the service (an operator's restore, say): the kept figure does not know it.
    await mkdir(areaDir('quser', 'backup'), { recursive: true });
    await writeFile(join(areaDir('quser', 'backup'), 'restored.bin'), randomBytes(200));
    expect((await quotaOf('quser')).usedBytes).toBe(750);
    const report = await clients.quser!.get('/api/stat/storage');
    expect(report.body).toMatchObject({ usedBytes: 950, availableBytes: 50 });
    expect((await quotaOf('quser')).usedBytes).toBe(950);
    expectQuotaExceeded(await dav('quser', 'PUT', '/dav/sixty.bin', randomBytes(60)));
    expect((await dav('quser', 'DELETE', '/backup/restored.bin')).status).toBe(204);
    expect((await quotaOf('quser')).usedBytes).toBe(750);
  });

  it('applies STORAGE_QUOTA_BYTES to accounts without their own quota, and none to unlimited ones', async () => {
    expectQuotaExceeded(await upload('dflt', '/big.bin', randomBytes(DEFAULT_QUOTA + 1)));
    expect((await upload('dflt', '/fits.bin', randomBytes(DEFAULT_QUOTA - 1000))).status).toBe(201);
    expectQuotaExceeded(await dav('dflt', 'PUT', '/backup/more.bin', randomBytes(1001)));
    expect((await clients.dflt!.get('/api/stat/storage')).body).toMatchObject({ usedBytes: DEFAULT_QUOTA - 1000, quotaBytes: DEFAULT_QUOTA, availableBytes: 1000 });

    expect((await upload('free', '/big.bin', randomBytes(DEFAULT_QUOTA + 1))).status).toBe(201);
    // Back to the default: over it now, so nothing more fits (and nothing is deleted).
    const reset = await admin.delete(`/api/admin/accounts/${ids.free}/quota`);
    expect(reset.body).toMatchObject({ setting: 'default', quotaBytes: DEFAULT_QUOTA, usedBytes: DEFAULT_QUOTA + 11, availableBytes: 0 });
    expectQuotaExceeded(await dav('free', 'PUT', '/dav/one.txt', 'x'));
    expect((await info('free', '/big.bin')).status).toBe(200);
  });

  it('lets the operator see and set quotas on the accounts page', async () => {
    const page = new PageClient(t.url);
    await page.signIn('admin', ADMIN_PASSWORD);
    const list = await page.get('/operator/accounts');
    expect(list.status).toBe(200);
    expect(list.text).toContain('<th scope="col">Storage quota</th>');
    expect(list.text).toContain(`id="quota-${ids.quser}"`);
    expect(list.text).toMatch(new RegExp(`1000 bytes<br><span class="hint">750 bytes used</span>[\\s\\S]*?id="quota-${ids.quser}"[^>]*value="1000"`));
    expect(list.text).toMatch(/4\.88 KiB <span class="hint">\(default\)<\/span>/);

    const bad = await page.post(`/operator/accounts/${ids.quser}/quota`, { quota: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('The quota must be empty (the default)');
    expect((await quotaOf('quser')).quotaBytes).toBe(1000);

    const ok = await page.post(`/operator/accounts/${ids.quser}/quota`, { quota: '2 KiB' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/operator/accounts?notice=quota-saved');
    expect(await quotaOf('quser')).toMatchObject({ setting: 'bytes', quotaBytes: 2048, availableBytes: 2048 - 750 });
    expect((await page.get('/operator/accounts?notice=quota-saved')).text).toMatch(new RegExp(`id="quota-${ids.quser}"[^>]*value="2 KiB"`));
    expect((await dav('quser', 'PUT', '/dav/now-fits.bin', randomBytes(1000))).status).toBe(201);

    // An empty field: back to the default.
    expect((await page.post(`/operator/accounts/${ids.dflt}/quota`, { quota: 'unlimited' })).status).toBe(303);
    expect((await quotaOf('dflt')).setting).toBe('unlimited');
    expect((await page.post(`/operator/accounts/${ids.dflt}/quota`, { quota: '' })).status).toBe(303);
    expect(await quotaOf('dflt')).toMatchObject({ setting: 'default', quotaBytes: DEFAULT_QUOTA });
  });

  it('holds across instances sharing the database and storage: no instance keeps its own figure', async () => {
    const other = await startApp(t.env.env);
    try {
      const before = (await quotaOf('quser')).availableBytes as number;
      const put = await send(other.url, 'PUT', '/dav/elsewhere.bin', { authorization: basicHeader('quser', 'quser-password') }, randomBytes(before - 10));
      expect(put.status).toBe(201);
      // This instance sees at once what the other stored.
      expectQuotaExceeded(await dav('quser', 'PUT', '/dav/here.bin', randomBytes(11)));
      expect((await dav('quser', 'PUT', '/dav/here.bin', randomBytes(10))).status).toBe(201);
      expect((await quotaOf('quser')).availableBytes).toBe(0);
    } finally {
      await other.close();
    }
  });
});
