import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementChildren, findElement, type InfoElement, readXml, textOf } from '../../src/dav/core/xml-test-reader.js';
import { StatsService } from '../../src/stats/stats.service.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader } from '../support/raw-request.js';
import { oauthApplication, tokensFor } from '../support/oauth.js';
import { eventually } from '../support/raw-session.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

const DAV = 'DAV:';
type Credentials = readonly [string, string];

const OWNER: Credentials = ['davuser', 'davuser-login-password'];
const FULL: Credentials = ['davuser-full', 'full-password-1'];
const LIMITED: Credentials = ['davuser-limited', 'limited-password-1'];
const NORULES: Credentials = ['davuser-norules', 'norules-password-1'];

const LOCKINFO = (scope: 'exclusive' | 'shared' = 'exclusive', owner = '<D:href>mailto:me@example.com</D:href>') =>
  `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>${owner}</D:owner></D:lockinfo>`;

const PROPPATCH_SET = (name: string, value: string) =>
  `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:set><D:prop><Z:${name}>${value}</Z:${name}></D:prop></D:set></D:propertyupdate>`;

const PROPFIND_PROP = (...props: string[]) =>
  `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:prop>${props.join('')}</D:prop></D:propfind>`;

interface DavResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON of an error answer, otherwise the text as received. */
  body: any;
}

/**
 * A request with the target sent exactly as written (no URL parser in between, which would
 * resolve `..` before the server sees it), any method, and the body left as text unless it is
 * a JSON error.
 */
function sendRaw(base: string, method: string, target: string, headers: Record<string, string>, body?: string): Promise<DavResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        if (text !== '' && (res.statusCode ?? 0) >= 400 && String(res.headers['content-type']).includes('json')) parsed = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `<D:href>`s of a multistatus, decoded, in document order. */
function hrefsOf(body: string): string[] {
  return elementChildren(readXml(body))
    .filter((r) => r.ns === DAV && r.local === 'response')
    .map((r) => decodeURIComponent(textOf(findElement(r, DAV, 'href')!)));
}

/** The property elements reported with `status` (e.g. 200, 404) in the first response. */
function propsWithStatus(body: string, status: number): InfoElement[] {
  const response = findElement(readXml(body), DAV, 'response')!;
  return elementChildren(response)
    .filter((ps) => ps.local === 'propstat' && textOf(findElement(ps, DAV, 'status')!).includes(` ${status} `))
    .flatMap((ps) => elementChildren(findElement(ps, DAV, 'prop')!));
}

describe('WebDAV: /dav/, /backup/, /v2/dav/', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let owner: HttpClient;
  let mainDir: string;

  beforeAll(async () => {
    t = await startTestApp({ MAX_UPLOAD_BYTES: String(8 * 1024 * 1024) });
    const admin = await t.admin();
    // An imported (legacy) account: Basic with its login password.
    const created = await admin.post('/api/admin/accounts', { json: { login: OWNER[0], password: OWNER[1], email: 'dav@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(created.status).toBe(201);
    mainDir = join(t.env.env.STORAGE_DIR!, created.body.id, 'main');
    owner = t.client();
    await owner.login(OWNER[0], OWNER[1]);
    const sublogins: Array<[Credentials, Array<{ path: string; effect: 'allow' | 'deny' }>]> = [
      [FULL, [{ path: '/dav/', effect: 'allow' }, { path: '/backup/', effect: 'allow' }]],
      [
        LIMITED,
        [
          { path: '/dav/', effect: 'allow' },
          { path: '/dav/read/secret', effect: 'deny' },
          { path: '/dav/write/secret', effect: 'deny' },
          { path: '/dav/delete/secret', effect: 'deny' },
        ],
      ],
      [NORULES, []],
    ];
    for (const [[login, password], rules] of sublogins) {
      const res = await owner.post('/api/sublogin/create', { json: { name: login.split('-')[1], password, rules } });
      expect(res.status, res.text).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  function dav(method: string, path: string, opts: { headers?: Record<string, string>; body?: string; as?: Credentials | null } = {}): Promise<DavResponse> {
    const as = opts.as === undefined ? OWNER : opts.as;
    const headers: Record<string, string> = { ...opts.headers };
    if (as) headers.authorization = basicHeader(as[0], as[1]);
    return sendRaw(t.url, method, path, headers, opts.body);
  }
  const put = (path: string, body: string, opts: { headers?: Record<string, string>; as?: Credentials } = {}) => dav('PUT', path, { ...opts, body });
  const propfind = (path: string, depth: string, body?: string, as?: Credentials) => dav('PROPFIND', path, { headers: { depth }, body, as });
  const lock = async (path: string, opts: { scope?: 'exclusive' | 'shared'; depth?: string; as?: Credentials; timeout?: string } = {}) => {
    const headers: Record<string, string> = { depth: opts.depth ?? '0' };
    if (opts.timeout) headers.timeout = opts.timeout;
    const res = await dav('LOCK', path, { headers, body: LOCKINFO(opts.scope), as: opts.as });
    const token = /^<(.+)>$/.exec(String(res.headers['lock-token'] ?? ''))?.[1];
    return { res, token: token! };
  };
  const exists = async (path: string) => (await dav('HEAD', path)).status === 200;

  describe('authentication and mounts', () => {
    it('asks for Basic credentials on /dav/ and /backup/, with the challenge DAV clients need', async () => {
      for (const mount of ['/dav/', '/backup/']) {
        const res = await dav('PROPFIND', mount, { as: null, headers: { depth: '0' } });
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Basic realm="Portcullis", charset="UTF-8"');
        expect(res.body.code).toBe('authentication_required');
      }
      expect((await dav('PROPFIND', '/dav/', { as: [OWNER[0], 'wrong-password'], headers: { depth: '0' } })).status).toBe(401);
    });

    it('answers /v2/dav/ with a Bearer challenge and never accepts Basic there', async () => {
      for (const as of [null, OWNER, FULL] as const) {
        for (const method of ['OPTIONS', 'PROPFIND', 'GET', 'PUT']) {
          const res = await dav(method, '/v2/dav/', { as, headers: { depth: '0' }, body: method === 'PUT' ? 'x' : undefined });
          expect(res.status, `${method} as ${as?.[0]}`).toBe(401);
          expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="Portcullis"/);
          expect(res.headers['www-authenticate']).not.toContain('Basic');
        }
      }
      expect((await dav('PUT', '/v2/dav/sneaky.txt', { body: 'x' })).status).toBe(401);
      expect(await exists('/dav/sneaky.txt')).toBe(false);
    });

    it('serves /v2/dav/ to Bearer tokens with the dav scope: the same files and locks as /dav/', async () => {
      const app = await oauthApplication(t, 'DAV sync');
      const token = (scope: string) => tokensFor(t.url, { clientId: app.id, scope, login: OWNER[0], password: OWNER[1] });
      const withDav = (await token('dav')).access_token;
      const bearer = (tk: string, headers: Record<string, string> = {}) => ({ as: null, headers: { authorization: `Bearer ${tk}`, ...headers } });

      expect((await dav('PUT', '/v2/dav/via-v2.txt', { ...bearer(withDav), body: 'from v2' })).status).toBe(201);
      expect((await dav('GET', '/dav/via-v2.txt')).body).toBe('from v2');
      const listed = await dav('PROPFIND', '/v2/dav/', bearer(withDav, { depth: '1' }));
      expect(listed.status).toBe(207);
      expect(hrefsOf(listed.body)).toContain('/v2/dav/via-v2.txt');

      // One lock for both mounts: taken on /dav/, it blocks /v2/dav/ until the owner submits it there.
      const { token: lockToken } = await lock('/dav/via-v2.txt');
      expect((await dav('PUT', '/v2/dav/via-v2.txt', { ...bearer(withDav), body: 'x' })).status).toBe(423);
      expect((await dav('PUT', '/v2/dav/via-v2.txt', { ...bearer(withDav, { if: `(<${lockToken}>)` }), body: 'x' })).status).toBe(204);
      // A Destination on the other mount is another namespace, even for the same files.
      expect((await dav('COPY', '/v2/dav/via-v2.txt', bearer(withDav, { destination: '/dav/copy.txt' }))).status).toBe(502);

      const noDav = (await token('file:read')).access_token;
      expect((await dav('PROPFIND', '/v2/dav/', bearer(noDav, { depth: '0' }))).status).toBe(403);
      expect((await dav('PROPFIND', '/dav/', bearer(withDav, { depth: '0' }))).status).toBe(401);
    });

    it('sets no request timeout that could cut a long transfer', () => {
      expect((t.app.getHttpServer() as { requestTimeout: number }).requestTimeout).toBe(0);
    });

    it('OPTIONS advertises class 1 and 2', async () => {
      const res = await dav('OPTIONS', '/dav/');
      expect(res.status).toBe(200);
      expect(res.headers.dav).toBe('1, 2');
      expect(res.headers['ms-author-via']).toBe('DAV');
      expect(String(res.headers.allow)).toContain('PROPFIND');
      expect(String((await dav('OPTIONS', '/dav/not-there')).headers.allow)).toBe('OPTIONS, MKCOL, PUT, LOCK');
    });

    it('keeps /dav/ and /backup/ apart (separate storage areas)', async () => {
      expect((await put('/dav/area-test.txt', 'main')).status).toBe(201);
      expect((await dav('GET', '/backup/area-test.txt')).status).toBe(404);
      expect((await put('/backup/area-test.txt', 'backup')).status).toBe(201);
      expect((await dav('GET', '/dav/area-test.txt')).body).toBe('main');
      expect((await dav('GET', '/backup/area-test.txt')).body).toBe('backup');
    });
  });

  describe('GET, HEAD, PUT', () => {
    it('stores bodies as sent whatever their type (201 new, 204 replaced) and serves them back', async () => {
      const json = '{"not": "parsed", ';
      const created = await put('/dav/files/a.json', json, { headers: { 'content-type': 'application/json' } });
      expect(created.status).toBe(409); // no parent collection yet
      expect((await dav('MKCOL', '/dav/files')).status).toBe(201);
      const first = await put('/dav/files/a.json', json, { headers: { 'content-type': 'application/json' } });
      expect(first.status).toBe(201);
      expect(first.headers.etag).toMatch(/^"[0-9a-z-]+"$/);
      const xml = await put('/dav/files/b.xml', '<not-parsed', { headers: { 'content-type': 'application/xml' } });
      expect(xml.status).toBe(201);

      const got = await dav('GET', '/dav/files/a.json');
      expect(got.status).toBe(200);
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.headers.etag).toBe(first.headers.etag);
      expect(got.headers['content-security-policy']).toContain('sandbox');
      expect(got.body).toBe(json);
      expect((await dav('GET', '/dav/files/b.xml')).body).toBe('<not-parsed');

      const replaced = await put('/dav/files/a.json', 'second');
      expect(replaced.status).toBe(204);
      expect(replaced.headers.etag).not.toBe(first.headers.etag);
      const head = await dav('HEAD', '/dav/files/a.json');
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('6');
      expect(head.body).toBe('');
      expect(await readdir(join(mainDir, 'files'))).toEqual(['a.json', 'b.xml']); // no temp files left
    });

    it('serves ranges and answers conditional requests', async () => {
      await put('/dav/range.txt', '0123456789');
      const part = await dav('GET', '/dav/range.txt', { headers: { range: 'bytes=2-4' } });
      expect(part.status).toBe(206);
      expect(part.body).toBe('234');
      expect(part.headers['content-range']).toBe('bytes 2-4/10');
      expect((await dav('GET', '/dav/range.txt', { headers: { range: 'bytes=20-' } })).status).toBe(416);

      const { etag, 'last-modified': modified } = (await dav('HEAD', '/dav/range.txt')).headers as Record<string, string>;
      expect((await dav('GET', '/dav/range.txt', { headers: { 'if-none-match': etag } })).status).toBe(304);
      expect((await dav('GET', '/dav/range.txt', { headers: { 'if-modified-since': modified } })).status).toBe(304);
      expect((await dav('GET', '/dav/range.txt', { headers: { 'if-match': '"other"' } })).status).toBe(412);
      expect((await dav('GET', '/dav/range.txt', { headers: { range: 'bytes=0-0', 'if-range': '"other"' } })).status).toBe(200);

      expect((await put('/dav/range.txt', 'x', { headers: { 'if-match': '"other"' } })).status).toBe(412);
      expect((await put('/dav/range.txt', 'x', { headers: { 'if-none-match': '*' } })).status).toBe(412);
      expect((await put('/dav/range-new.txt', 'x', { headers: { 'if-match': '*' } })).status).toBe(412);
      expect((await put('/dav/range-new.txt', 'new', { headers: { 'if-none-match': '*' } })).status).toBe(201);
      expect((await put('/dav/range.txt', 'y', { headers: { 'if-match': etag } })).status).toBe(204);
      expect((await dav('GET', '/dav/range.txt')).body).toBe('y');
    });

    it('refuses a PUT onto a collection, a partial PUT and an oversized one', async () => {
      await dav('MKCOL', '/dav/a-collection');
      expect((await put('/dav/a-collection', 'x')).status).toBe(405);
      expect((await put('/dav/partial.txt', 'x', { headers: { 'content-range': 'bytes 0-0/10' } })).status).toBe(400);
      const big = await dav('PUT', '/dav/too-big.bin', { headers: { 'content-length': String(9 * 1024 * 1024) } });
      expect(big.status).toBe(413);
      expect(await exists('/dav/too-big.bin')).toBe(false);
    });

    it('lists a collection as a small HTML page', async () => {
      const res = await dav('GET', '/dav/files/');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<a href="a.json">a.json</a>');
    });

    it('leaves no partial file when a PUT is cut off midway', async () => {
      const url = new URL(t.url);
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.on('error', () => undefined);
      socket.write(
        `PUT /dav/interrupted.bin HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${basicHeader(OWNER[0], OWNER[1])}\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n`,
      );
      socket.write(randomBytes(300_000));
      await eventually(async () => (await readdir(mainDir)).some((n) => n.startsWith('.portcullis-upload-')), 5_000, 'the upload to start');
      socket.destroy();
      await eventually(async () => !(await readdir(mainDir)).some((n) => n.startsWith('.portcullis-')), 5_000, 'the temp file to go');
      expect(await exists('/dav/interrupted.bin')).toBe(false);
    });
  });

  describe('MKCOL, DELETE', () => {
    it('creates collections (201), refuses existing (405), parentless (409) and bodies (415)', async () => {
      expect((await dav('MKCOL', '/dav/col')).status).toBe(201);
      expect((await dav('MKCOL', '/dav/col/')).status).toBe(405);
      expect((await dav('MKCOL', '/dav/missing/child')).status).toBe(409);
      expect((await dav('MKCOL', '/dav/with-body', { body: '<x/>', headers: { 'content-type': 'application/xml' } })).status).toBe(415);
      expect(await exists('/dav/with-body')).toBe(false);
      await put('/dav/col/file.txt', 'x');
      expect((await dav('MKCOL', '/dav/col/file.txt')).status).toBe(405);
      expect((await dav('MKCOL', '/dav/col/file.txt/below')).status).toBe(409);
    });

    it('deletes recursively (204), then 404; never the mount root; only Depth infinity', async () => {
      await dav('MKCOL', '/dav/del');
      await dav('MKCOL', '/dav/del/sub');
      await put('/dav/del/sub/f.txt', 'x');
      expect((await dav('DELETE', '/dav/del', { headers: { depth: '0' } })).status).toBe(400);
      expect((await dav('DELETE', '/dav/del')).status).toBe(204);
      expect((await dav('DELETE', '/dav/del')).status).toBe(404);
      expect(await exists('/dav/del/sub/f.txt')).toBe(false);
      expect((await dav('DELETE', '/dav/')).status).toBe(403);
    });
  });

  describe('PROPFIND, PROPPATCH', () => {
    it('answers Depth 0 and 1, refuses Depth infinity (and no Depth) with propfind-finite-depth', async () => {
      await dav('MKCOL', '/dav/pf');
      await put('/dav/pf/one.txt', '1');
      await put('/dav/pf/with%20space%20%25%3B.txt', '2');
      await dav('MKCOL', '/dav/pf/sub');

      const zero = await propfind('/dav/pf/one.txt', '0');
      expect(zero.status).toBe(207);
      expect(zero.headers['content-type']).toBe('application/xml; charset=utf-8');
      expect(hrefsOf(zero.body)).toEqual(['/dav/pf/one.txt']);
      const props = propsWithStatus(zero.body, 200).map((p) => p.local);
      expect(props).toEqual(expect.arrayContaining(['getcontentlength', 'getetag', 'getlastmodified', 'resourcetype', 'supportedlock', 'lockdiscovery']));

      const one = await propfind('/dav/pf', '1');
      expect(one.status).toBe(207);
      expect(hrefsOf(one.body)).toEqual(['/dav/pf/', '/dav/pf/one.txt', '/dav/pf/sub/', '/dav/pf/with space %;.txt']);
      expect(one.body).toContain('<D:href>/dav/pf/with%20space%20%25%3B.txt</D:href>');

      for (const depth of ['infinity', undefined]) {
        const res = await dav('PROPFIND', '/dav/pf', { headers: depth ? { depth } : {} });
        expect(res.status).toBe(403);
        expect(readXml(res.body)).toMatchObject({ ns: DAV, local: 'error' });
        expect(findElement(readXml(res.body), DAV, 'propfind-finite-depth')).toBeDefined();
      }
      expect((await propfind('/dav/pf', '2')).status).toBe(400);
      expect((await propfind('/dav/pf/nothing', '0')).status).toBe(404);
    });

    it('answers prop and propname requests, with 404 for unknown properties', async () => {
      const res = await propfind('/dav/pf/one.txt', '0', PROPFIND_PROP('<D:getcontentlength/>', '<Z:unknown/>'));
      expect(propsWithStatus(res.body, 200).map((p) => [p.local, textOf(p)])).toEqual([['getcontentlength', '1']]);
      expect(propsWithStatus(res.body, 404).map((p) => p.local)).toEqual(['unknown']);
      const names = await propfind('/dav/pf/one.txt', '0', '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>');
      expect(propsWithStatus(names.body, 200).every((p) => p.children.length === 0)).toBe(true);
    });

    it('keeps dead properties, refuses protected ones atomically, and moves, copies and deletes them with their resource', async () => {
      await put('/dav/props.txt', 'p');
      const set = await dav('PROPPATCH', '/dav/props.txt', { body: PROPPATCH_SET('color', 'blue &amp; <b xmlns="urn:b">bold</b>') });
      expect(set.status).toBe(207);
      expect(propsWithStatus(set.body, 200).map((p) => p.local)).toEqual(['color']);
      const get = await propfind('/dav/props.txt', '0', PROPFIND_PROP('<Z:color/>'));
      const color = propsWithStatus(get.body, 200)[0]!;
      expect(color).toMatchObject({ ns: 'urn:example:z', local: 'color' });
      expect(textOf(color)).toBe('blue & bold');

      // One protected property fails the whole request: 403 for it, 424 for the rest, nothing changed.
      const mixed = await dav('PROPPATCH', '/dav/props.txt', {
        body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:set><D:prop><Z:size>big</Z:size><D:getetag>"x"</D:getetag></D:prop></D:set><D:remove><D:prop><Z:color/></D:prop></D:remove></D:propertyupdate>',
      });
      expect(mixed.status).toBe(207);
      expect(propsWithStatus(mixed.body, 403).map((p) => p.local)).toEqual(['getetag']);
      expect(propsWithStatus(mixed.body, 424).map((p) => p.local).sort()).toEqual(['color', 'size']);
      const after = await propfind('/dav/props.txt', '0', PROPFIND_PROP('<Z:color/>', '<Z:size/>'));
      expect(propsWithStatus(after.body, 200).map((p) => p.local)).toEqual(['color']);
      expect(propsWithStatus(after.body, 404).map((p) => p.local)).toEqual(['size']);

      expect((await dav('COPY', '/dav/props.txt', { headers: { destination: `${t.url}/dav/props-copy.txt` } })).status).toBe(201);
      expect((await dav('MOVE', '/dav/props.txt', { headers: { destination: '/dav/props-moved.txt' } })).status).toBe(201);
      for (const path of ['/dav/props-copy.txt', '/dav/props-moved.txt']) {
        expect(propsWithStatus((await propfind(path, '0', PROPFIND_PROP('<Z:color/>'))).body, 200).map((p) => p.local)).toEqual(['color']);
      }
      // A file created later under the old name starts without properties.
      await put('/dav/props.txt', 'again');
      expect(propsWithStatus((await propfind('/dav/props.txt', '0', PROPFIND_PROP('<Z:color/>'))).body, 404)).toHaveLength(1);
      expect((await dav('DELETE', '/dav/props-moved.txt')).status).toBe(204);
      await put('/dav/props-moved.txt', 'new');
      expect(propsWithStatus((await propfind('/dav/props-moved.txt', '0', PROPFIND_PROP('<Z:color/>'))).body, 404)).toHaveLength(1);

      const removed = await dav('PROPPATCH', '/dav/props-copy.txt', {
        body: '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:remove><D:prop><Z:color/></D:prop></D:remove></D:propertyupdate>',
      });
      expect(removed.status).toBe(207);
      expect(propsWithStatus((await propfind('/dav/props-copy.txt', '0', PROPFIND_PROP('<Z:color/>'))).body, 404)).toHaveLength(1);
      expect((await dav('PROPPATCH', '/dav/nothing-here', { body: PROPPATCH_SET('a', 'b') })).status).toBe(404);
    });

    it('refuses malformed, hostile and oversized XML with 4xx, and changes nothing', async () => {
      await put('/dav/hostile.txt', 'h');
      const xxe = `<?xml version="1.0"?><!DOCTYPE D:propertyupdate [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:set><D:prop><Z:leak>&xxe;</Z:leak></D:prop></D:set></D:propertyupdate>`;
      const laughs =
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
        '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:set><D:prop><Z:leak>&lol3;</Z:leak></D:prop></D:set></D:propertyupdate>';
      const deep = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:leak xmlns:Z="urn:example:z">${'<a>'.repeat(500)}${'</a>'.repeat(500)}</Z:leak></D:prop></D:set></D:propertyupdate>`;
      for (const body of [xxe, laughs, deep, '<D:propertyupdate xmlns:D="DAV:"><D:set>', 'not xml at all']) {
        const res = await dav('PROPPATCH', '/dav/hostile.txt', { body });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('bad_request');
        expect(JSON.stringify(res.body)).not.toMatch(/root:|at .*\.js/);
      }
      for (const body of [xxe.replace('propertyupdate', 'lockinfo'), laughs.replace(/propertyupdate/g, 'lockinfo')]) {
        expect((await dav('LOCK', '/dav/hostile.txt', { body })).status).toBe(400);
      }
      expect((await dav('PROPFIND', '/dav/hostile.txt', { headers: { depth: '0' }, body: xxe.replace(/propertyupdate/g, 'propfind') })).status).toBe(400);
      expect((await dav('PROPPATCH', '/dav/hostile.txt', { body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' })).status).toBe(422);
      const huge = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:big xmlns:Z="urn:z">${'x'.repeat(1024 * 1024)}</Z:big></D:prop></D:set></D:propertyupdate>`;
      expect((await dav('PROPPATCH', '/dav/hostile.txt', { body: huge })).status).toBe(413);

      const check = await propfind('/dav/hostile.txt', '0', PROPFIND_PROP('<Z:leak/>', '<D:lockdiscovery/>'));
      expect(propsWithStatus(check.body, 404).map((p) => p.local)).toEqual(['leak']);
      expect(propsWithStatus(check.body, 200)[0]!.children).toEqual([]); // no lock was taken
    });
  });

  describe('COPY, MOVE', () => {
    it('copies and moves with Overwrite, Depth and the right statuses', async () => {
      await dav('MKCOL', '/dav/cm');
      await put('/dav/cm/src.txt', 'source');
      await put('/dav/cm/other.txt', 'other');
      const copy = (from: string, to: string, headers: Record<string, string> = {}) => dav('COPY', from, { headers: { destination: to, ...headers } });
      const move = (from: string, to: string, headers: Record<string, string> = {}) => dav('MOVE', from, { headers: { destination: to, ...headers } });

      expect((await copy('/dav/cm/src.txt', '/dav/cm/copy.txt')).status).toBe(201);
      expect((await copy('/dav/cm/src.txt', '/dav/cm/other.txt', { overwrite: 'F' })).status).toBe(412);
      expect((await dav('GET', '/dav/cm/other.txt')).body).toBe('other');
      expect((await copy('/dav/cm/src.txt', '/dav/cm/other.txt', { overwrite: 'T' })).status).toBe(204);
      expect((await dav('GET', '/dav/cm/other.txt')).body).toBe('source');
      expect((await copy('/dav/cm/src.txt', '/dav/cm/no-parent/x.txt')).status).toBe(409);
      expect((await copy('/dav/cm/none.txt', '/dav/cm/x.txt')).status).toBe(404);
      expect((await copy('/dav/cm/src.txt', '/dav/cm/src.txt')).status).toBe(403);

      await dav('MKCOL', '/dav/cm/tree');
      await put('/dav/cm/tree/leaf.txt', 'leaf');
      expect((await copy('/dav/cm/tree', '/dav/cm/shallow', { depth: '0' })).status).toBe(201);
      expect(hrefsOf((await propfind('/dav/cm/shallow', '1')).body)).toEqual(['/dav/cm/shallow/']);
      expect((await copy('/dav/cm/tree', '/dav/cm/deep')).status).toBe(201);
      expect((await dav('GET', '/dav/cm/deep/leaf.txt')).body).toBe('leaf');
      expect((await copy('/dav/cm/tree', '/dav/cm/tree/inside')).status).toBe(403);
      expect((await move('/dav/cm/tree/leaf.txt', '/dav/cm/tree', { overwrite: 'T' })).status).toBe(403);
      expect((await dav('GET', '/dav/cm/tree/leaf.txt')).body).toBe('leaf');

      expect((await move('/dav/cm/deep', '/dav/cm/shallow', { overwrite: 'F' })).status).toBe(412);
      expect((await move('/dav/cm/deep', '/dav/cm/shallow')).status).toBe(204);
      expect(await exists('/dav/cm/deep')).toBe(false);
      expect((await dav('GET', '/dav/cm/shallow/leaf.txt')).body).toBe('leaf');
      expect((await move('/dav/cm/copy.txt', '/dav/cm/renamed.txt', { depth: '0' })).status).toBe(400);
      expect((await move('/dav/cm/copy.txt', '/dav/cm/renamed.txt')).status).toBe(201);
    });

    it('refuses a Destination on another mount or host (502), with `..` or malformed (400)', async () => {
      await put('/dav/dest.txt', 'd');
      const copy = (destination: string) => dav('COPY', '/dav/dest.txt', { headers: { destination } });
      for (const destination of [`${t.url}/backup/dest.txt`, '/backup/dest.txt', '/v2/dav/dest.txt', '/api/file/dest.txt', 'http://elsewhere.example/dav/dest.txt']) {
        expect((await copy(destination)).status, destination).toBe(502);
      }
      for (const destination of ['/dav/a/../dest2.txt', '/dav/%2e%2e/x', `${t.url}/dav/a/%2E%2E/x`, '/dav/a%2fb', 'ftp://x/dav/y', '/dav/%zz', 'dav/relative', '']) {
        expect((await copy(destination)).status, destination).toBe(400);
      }
      expect(await exists('/backup/dest.txt')).toBe(false);
      expect((await dav('COPY', '/dav/dest.txt')).status).toBe(400); // no Destination at all
    });

    it('lets one of two concurrent MOVEs of a file win, and loses nothing', async () => {
      await put('/dav/race.txt', 'race');
      const results = await Promise.all([1, 2, 3].map((n) => dav('MOVE', '/dav/race.txt', { headers: { destination: `/dav/race-${n}.txt` } })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.every((s) => s === 201 || s === 404 || s === 409)).toBe(true);
      const found = [];
      for (const n of [1, 2, 3]) if (await exists(`/dav/race-${n}.txt`)) found.push(n);
      expect(found).toHaveLength(1);
    });
  });

  describe('LOCK, UNLOCK and the If header', () => {
    it('blocks writes without the token, allows its owner with it, and never another principal', async () => {
      await put('/dav/locked.txt', 'v1');
      const { res, token } = await lock('/dav/locked.txt');
      expect(res.status).toBe(200);
      expect(token).toMatch(/^urn:uuid:/);
      const discovered = findElement(readXml(res.body), DAV, 'activelock')!;
      expect(textOf(findElement(discovered, DAV, 'lockroot')!)).toBe('/dav/locked.txt');

      const blocked = await put('/dav/locked.txt', 'v2');
      expect(blocked.status).toBe(423);
      expect(findElement(readXml(blocked.body), DAV, 'lock-token-submitted')).toBeDefined();
      expect(textOf(findElement(readXml(blocked.body), DAV, 'href')!)).toBe('/dav/locked.txt');
      for (const [method, headers] of [
        ['DELETE', {}],
        ['MOVE', { destination: '/dav/elsewhere.txt' }],
        ['PROPPATCH', {}],
      ] as const) {
        const r = await dav(method, '/dav/locked.txt', { headers, body: method === 'PROPPATCH' ? PROPPATCH_SET('x', 'y') : undefined });
        expect(r.status, method).toBe(423);
      }
      expect((await dav('COPY', '/dav/locked.txt', { headers: { destination: '/dav/locked-copy.txt' } })).status).toBe(201); // reading is not writing

      // The token, submitted by another principal of the same account, does not open the lock.
      expect((await put('/dav/locked.txt', 'v2', { as: FULL, headers: { if: `(<${token}>)` } })).status).toBe(423);
      expect((await lock('/dav/locked.txt', { as: FULL })).res.status).toBe(423);
      expect((await dav('UNLOCK', '/dav/locked.txt', { as: FULL, headers: { 'lock-token': `<${token}>` } })).status).toBe(403);

      expect((await put('/dav/locked.txt', 'v2', { headers: { if: `(<${token}>)` } })).status).toBe(204);
      expect((await put('/dav/locked.txt', 'v3', { headers: { if: `<${t.url}/dav/locked.txt> (<${token}>)` } })).status).toBe(204);
      expect((await dav('GET', '/dav/locked.txt')).body).toBe('v3');

      expect((await dav('UNLOCK', '/dav/locked.txt', { headers: { 'lock-token': '<urn:uuid:00000000-0000-4000-8000-000000000000>' } })).status).toBe(409);
      expect((await dav('UNLOCK', '/dav/locked.txt')).status).toBe(400);
      expect((await dav('UNLOCK', '/dav/locked.txt', { headers: { 'lock-token': `<${token}>` } })).status).toBe(204);
      expect((await put('/dav/locked.txt', 'free')).status).toBe(204);
    });

    it('evaluates the If header: 412 when it does not hold, 400 when malformed', async () => {
      await put('/dav/iff.txt', 'x');
      const { etag } = (await dav('HEAD', '/dav/iff.txt')).headers as Record<string, string>;
      expect((await put('/dav/iff.txt', 'y', { headers: { if: '(["wrong"])' } })).status).toBe(412);
      expect((await put('/dav/iff.txt', 'y', { headers: { if: '(<urn:uuid:no-such-lock>)' } })).status).toBe(412);
      expect((await put('/dav/iff.txt', 'y', { headers: { if: `([${etag}])` } })).status).toBe(204);
      expect((await put('/dav/iff.txt', 'z', { headers: { if: '(Not <DAV:no-lock>)' } })).status).toBe(204);
      expect((await put('/dav/iff.txt', 'z', { headers: { if: '(<DAV:no-lock>)' } })).status).toBe(412);
      expect((await put('/dav/iff.txt', 'z', { headers: { if: '(oops' } })).status).toBe(400);
      expect((await dav('LOCK', '/dav/iff.txt', { headers: { timeout: 'Second-abc' }, body: LOCKINFO() })).status).toBe(400);
      expect((await dav('LOCK', '/dav/iff.txt', { headers: { depth: '1' }, body: LOCKINFO() })).status).toBe(400);
      expect((await dav('COPY', '/dav/iff.txt', { headers: { destination: '/dav/iff2.txt', overwrite: 'maybe' } })).status).toBe(400);
      expect((await dav('GET', '/dav/iff.txt')).body).toBe('z');
    });

    it('locks collections in depth, shares shared locks, refreshes, and creates unmapped resources', async () => {
      await dav('MKCOL', '/dav/lockcol');
      await put('/dav/lockcol/member.txt', 'm');
      const { res, token } = await lock('/dav/lockcol', { depth: 'infinity' });
      expect(res.status).toBe(200);
      expect((await put('/dav/lockcol/new.txt', 'n')).status).toBe(423);
      expect((await put('/dav/lockcol/member.txt', 'n')).status).toBe(423);
      expect((await dav('DELETE', '/dav/lockcol')).status).toBe(423);
      expect((await lock('/dav/lockcol/member.txt')).res.status).toBe(423);
      expect((await put('/dav/lockcol/new.txt', 'n', { headers: { if: `(<${token}>)` } })).status).toBe(201);

      // The lock shows in lockdiscovery of its members too.
      const disc = await propfind('/dav/lockcol/member.txt', '0', PROPFIND_PROP('<D:lockdiscovery/>'));
      expect(textOf(findElement(readXml(disc.body), DAV, 'locktoken')!)).toBe(token);

      const refreshed = await dav('LOCK', '/dav/lockcol/member.txt', { headers: { if: `(<${token}>)`, timeout: 'Second-120' } });
      expect(refreshed.status).toBe(200);
      expect(textOf(findElement(readXml(refreshed.body), DAV, 'timeout')!)).toMatch(/^Second-1[12]\d$/);
      expect((await dav('LOCK', '/dav/lockcol', { headers: { timeout: 'Second-120' } })).status).toBe(400);
      expect((await dav('LOCK', '/dav/lockcol', { headers: { if: '(<urn:uuid:other>)' } })).status).toBe(412);
      expect((await dav('DELETE', '/dav/lockcol', { headers: { if: `(<${token}>)` } })).status).toBe(204);
      // Deleting the resource removed its lock.
      await dav('MKCOL', '/dav/lockcol');
      expect((await put('/dav/lockcol/again.txt', 'a')).status).toBe(201);

      await put('/dav/shared.txt', 's');
      const a = await lock('/dav/shared.txt', { scope: 'shared' });
      const b = await lock('/dav/shared.txt', { scope: 'shared', as: FULL });
      expect([a.res.status, b.res.status]).toEqual([200, 200]);
      expect((await lock('/dav/shared.txt', { scope: 'exclusive' })).res.status).toBe(423);
      expect((await put('/dav/shared.txt', 'x', { as: FULL, headers: { if: `(<${b.token}>)` } })).status).toBe(204);
      expect((await put('/dav/shared.txt', 'x', { headers: { if: `(<${a.token}>)` } })).status).toBe(204);

      const unmapped = await lock('/dav/unmapped.txt');
      expect(unmapped.res.status).toBe(201);
      expect((await dav('GET', '/dav/unmapped.txt')).body).toBe('');
      expect((await put('/dav/unmapped.txt', 'x')).status).toBe(423);
      expect((await lock('/dav/no-parent/unmapped.txt')).res.status).toBe(409);
    });

    it('ignores expired locks', async () => {
      await put('/dav/short.txt', 's');
      const { res } = await lock('/dav/short.txt', { timeout: 'Second-1' });
      expect(res.status).toBe(200);
      expect((await put('/dav/short.txt', 'x')).status).toBe(423);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await put('/dav/short.txt', 'x')).status).toBe(204);
      expect((await lock('/dav/short.txt')).res.status).toBe(200);
    });
  });

  describe('paths', () => {
    it('refuses every spelling of `..` and encoded separators, and reads `//` and `/./` canonically', async () => {
      await dav('MKCOL', '/dav/canon');
      await put('/dav/canon/file.txt', 'canonical');
      for (const spelling of ['/dav//canon//file.txt', '/dav/./canon/./file.txt', '/dav/canon/file.txt/', '/dav/%63anon/file.txt']) {
        expect((await dav('GET', spelling)).body, spelling).toBe('canonical');
      }
      for (const spelling of ['/dav/../api/whoami', '/dav/%2e%2e/x', '/dav/canon/%2E%2e/%2e%2E/x', '/dav/canon%2Ffile.txt', '/dav/canon%5Cfile.txt', '/dav/a%00b', '/dav/.portcullis-upload-0123']) {
        const res = await dav('GET', spelling);
        expect(res.status, spelling).toBe(400);
        expect(['path_invalid', 'path_escape']).toContain(res.body.code);
      }
      // Refused by Fastify's router already, before any route (a bad percent escape).
      expect((await dav('GET', '/dav/%zz')).status).toBe(400);
      expect((await dav('DELETE', '/dav/canon/#frag')).status).toBe(400);
      // Overlong names and paths are 400, in the URL and in a Destination alike.
      expect((await put(`/dav/${'n'.repeat(256)}`, 'x')).body.code).toBe('path_too_long');
      const deep = `/dav${'/abcdefghij'.repeat(420)}`;
      expect((await dav('MKCOL', deep)).body.code).toBe('path_too_long');
      expect((await dav('COPY', '/dav/canon/file.txt', { headers: { destination: deep } })).status).toBe(400);
      expect(await exists('/dav/canon/file.txt')).toBe(true);
      // `;` is part of a name on the DAV mounts (no matrix parameters there).
      expect((await put('/dav/canon/a;b.txt', 'semi')).status).toBe(201);
      expect((await dav('GET', '/dav/canon/a%3Bb.txt')).body).toBe('semi');
      expect((await dav('GET', '/dav;x=1/canon/file.txt')).status).toBe(400);
    });
  });

  describe('sublogins (ACL classes dav and backup)', () => {
    it('hides and protects a denied subtree, in every spelling and both ends of COPY and MOVE', async () => {
      await dav('MKCOL', '/dav/area');
      await dav('MKCOL', '/dav/area/public');
      await dav('MKCOL', '/dav/secret');
      await put('/dav/secret/plans.txt', 'top secret');
      await put('/dav/area/public/doc.txt', 'public');

      const root = await propfind('/dav/', '1', undefined, LIMITED);
      expect(root.status).toBe(207);
      const seen = hrefsOf(root.body);
      expect(seen).toContain('/dav/area/');
      expect(seen).not.toContain('/dav/secret/');
      expect(hrefsOf((await propfind('/dav/', '1')).body)).toContain('/dav/secret/'); // the owner sees it

      const html = await dav('GET', '/dav/', { as: LIMITED });
      expect(html.body).toContain('area/');
      expect(html.body).not.toContain('secret');

      for (const spelling of ['/dav/secret/plans.txt', '/dav/%73ecret/plans.txt', '/dav//secret/./plans.txt', '/dav/secret/', '/dav/area/../secret/plans.txt'.replace('..', '%2e%2e')]) {
        const res = await dav('GET', spelling, { as: LIMITED });
        expect([400, 403], spelling).toContain(res.status);
        expect(String(res.body)).not.toContain('top secret');
      }
      expect((await propfind('/dav/secret', '0', undefined, LIMITED)).status).toBe(403);
      expect((await put('/dav/secret/new.txt', 'x', { as: LIMITED })).status).toBe(403);
      expect((await dav('DELETE', '/dav/secret/plans.txt', { as: LIMITED })).status).toBe(403);
      expect((await dav('MKCOL', '/dav/secret/sub', { as: LIMITED })).status).toBe(403);
      expect((await dav('PROPPATCH', '/dav/secret/plans.txt', { as: LIMITED, body: PROPPATCH_SET('a', 'b') })).status).toBe(403);
      expect((await lock('/dav/secret/plans.txt', { as: LIMITED })).res.status).toBe(403);
      expect((await dav('COPY', '/dav/secret/plans.txt', { as: LIMITED, headers: { destination: '/dav/area/stolen.txt' } })).status).toBe(403);
      expect((await dav('COPY', '/dav/area/public/doc.txt', { as: LIMITED, headers: { destination: '/dav/secret/planted.txt' } })).status).toBe(403);
      expect((await dav('MOVE', '/dav/secret/plans.txt', { as: LIMITED, headers: { destination: '/dav/area/stolen.txt' } })).status).toBe(403);
      expect((await dav('MOVE', '/dav/secret', { as: LIMITED, headers: { destination: '/dav/area/secret' } })).status).toBe(403);
      expect(await exists('/dav/area/stolen.txt')).toBe(false);
      expect(await exists('/dav/secret/planted.txt')).toBe(false);
      expect((await dav('GET', '/dav/secret/plans.txt')).body).toBe('top secret');

      // What the rules allow works.
      expect((await dav('GET', '/dav/area/public/doc.txt', { as: LIMITED })).body).toBe('public');
      expect((await dav('COPY', '/dav/area/public/doc.txt', { as: LIMITED, headers: { destination: '/dav/area/copy.txt' } })).status).toBe(201);
      expect((await put('/dav/area/mine.txt', 'mine', { as: LIMITED })).status).toBe(201);
      // The backup class is separate: nothing allows it for this sublogin.
      expect((await propfind('/backup/', '0', undefined, LIMITED)).status).toBe(403);
    });

    it('denies a sublogin without rules everything', async () => {
      for (const [method, path] of [
        ['OPTIONS', '/dav/'],
        ['PROPFIND', '/dav/'],
        ['GET', '/dav/area/public/doc.txt'],
        ['PUT', '/dav/norules.txt'],
        ['PROPFIND', '/backup/'],
      ] as const) {
        const res = await dav(method, path, { as: NORULES, headers: { depth: '0' }, body: method === 'PUT' ? 'x' : undefined });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.code).toBe('acl_denied');
      }
      expect(await exists('/dav/norules.txt')).toBe(false);
    });
  });

  it('accounts DAV traffic under the dav and backup areas', async () => {
    const data = 'y'.repeat(40_000);
    expect((await put('/dav/traffic.bin', data)).status).toBe(201);
    expect((await put('/backup/traffic.bin', data)).status).toBe(201);
    await t.app.get(StatsService).flush();
    for (const area of ['dav', 'backup']) {
      const res = await owner.get(`/api/stat/traffic?area=${area}`);
      expect(res.status).toBe(200);
      const puts = (res.body.items as Array<{ method: string; status: number; bytesIn: number }>).filter((i) => i.method === 'PUT' && i.status === 201);
      expect(puts.reduce((sum, i) => sum + i.bytesIn, 0)).toBeGreaterThan(40_000);
    }
  });
});
