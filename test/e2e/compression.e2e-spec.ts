import { randomBytes } from 'node:crypto';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicHeader } from '../support/raw-request.js';
import { RawSession } from '../support/raw-session.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

/**
 * Response compression (issue 16 item 1), spoken as curl and a CDN do: headers exactly as given
 * (fetch would add its own Accept-Encoding and decode the body), bytes as received.
 */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
}

function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The body as the client reads it after undoing Content-Encoding. */
function decoded(a: Answer): Buffer {
  const coding = a.headers['content-encoding'];
  if (coding === undefined) return a.bytes;
  if (coding === 'gzip') return gunzipSync(a.bytes);
  if (coding === 'br') return brotliDecompressSync(a.bytes);
  throw new Error(`unexpected Content-Encoding ${String(coding)}`);
}

const varies = (a: Answer) => String(a.headers.vary ?? '').toLowerCase().split(/\s*,\s*/).includes('accept-encoding');

/** Compressible text of `size` bytes, different in every line (not one repeated block). */
function textOf(size: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = `line ${i}: the quick brown fox ${(i * 7919) % 10007} jumps over the lazy dog\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

const OWNER = ['squeeze', 'squeeze-login-password'] as const;
const PROPFIND = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';
/** Spans several of the download stream's 1 MiB chunks, whose buffers are reused once sent. */
const BIG_TEXT = textOf(3 * 1024 * 1024 + 12345);

interface Service {
  t: TestApp & { env: TestEnv; stop(): Promise<void> };
  session: RawSession;
  basic: string;
  /** The account's main storage folder on disk. */
  main: string;
}

/** A service with one legacy account (Basic with the login password) and files on disk. */
async function service(env: Record<string, string>): Promise<Service> {
  const t = await startTestApp(env);
  const admin = await t.admin();
  const created = await admin.post('/api/admin/accounts', { json: { login: OWNER[0], password: OWNER[1], email: 's@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
  expect(created.status).toBe(201);
  const main = join(t.env.env.STORAGE_DIR!, created.body.id, 'main');
  await mkdir(join(main, 'many'), { recursive: true });
  for (let i = 0; i < 200; i++) await writeFile(join(main, 'many', `report-${String(i).padStart(3, '0')}.txt`), `file ${i}`);
  await writeFile(join(main, 'big.txt'), BIG_TEXT);
  await writeFile(join(main, 'small.txt'), 'tiny');
  await writeFile(join(main, 'archive.gz'), textOf(64 * 1024)); // not really gzip: the name decides
  await writeFile(join(main, 'blob.bin'), textOf(64 * 1024));
  return { t, session: await RawSession.login(t.url, OWNER[0], OWNER[1]), basic: basicHeader(OWNER[0], OWNER[1]), main };
}

describe('response compression', () => {
  let plain: Service; // COMPRESS_DOWNLOADS unset (off)
  let downloads: Service; // COMPRESS_DOWNLOADS=true

  beforeAll(async () => {
    [plain, downloads] = await Promise.all([service({}), service({ COMPRESS_DOWNLOADS: 'true' })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.t.stop(), downloads?.t.stop()]);
  });

  const api = (s: Service, path: string, headers: Record<string, string> = {}, method = 'GET') => send(s.t.url, method, path, { cookie: s.session.cookie, ...headers });
  const dav = (s: Service, method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    send(s.t.url, method, path, { authorization: s.basic, ...headers }, body);

  describe('API answers', () => {
    it('compresses a large JSON listing for `*,gzip` (the CDN), `gzip` and `br`, and leaves it plain without Accept-Encoding', async () => {
      const identity = await api(plain, '/api/file/list?path=/many');
      expect(identity.status).toBe(200);
      expect(identity.headers['content-encoding']).toBeUndefined();
      expect(identity.bytes.length).toBeGreaterThan(10_000);
      expect(Number(identity.headers['content-length'])).toBe(identity.bytes.length);
      const listing = JSON.parse(identity.bytes.toString('utf8'));
      expect(listing.items).toHaveLength(200);
      // Another client could get it compressed: a cache must key on Accept-Encoding.
      expect(varies(identity)).toBe(true);

      for (const [accept, coding] of [
        ['*,gzip', 'gzip'],
        ['gzip', 'gzip'],
        ['br', 'br'],
        ['gzip, deflate, br', 'br'],
        ['br;q=0.5, gzip', 'gzip'],
      ] as const) {
        const res = await api(plain, '/api/file/list?path=/many', { 'accept-encoding': accept });
        expect(res.status, accept).toBe(200);
        expect(res.headers['content-encoding'], accept).toBe(coding);
        expect(varies(res), accept).toBe(true);
        expect(res.bytes.length, accept).toBeLessThan(identity.bytes.length / 3);
        const cl = res.headers['content-length'];
        if (cl !== undefined) expect(Number(cl), accept).toBe(res.bytes.length); // never the unencoded length
        expect(JSON.parse(decoded(res).toString('utf8')), accept).toEqual(listing);
      }
      // Nothing we offer, or identity preferred: plain.
      for (const accept of ['identity', 'deflate', 'gzip;q=0, br;q=0', 'compress']) {
        const res = await api(plain, '/api/file/list?path=/many', { 'accept-encoding': accept });
        expect(res.headers['content-encoding'], accept).toBeUndefined();
        expect(res.bytes.equals(identity.bytes), accept).toBe(true);
      }
    });

    it('sends a small JSON answer as it is', async () => {
      const res = await api(plain, '/api/whoami', { 'accept-encoding': '*,gzip' });
      expect(res.status).toBe(200);
      expect(res.bytes.length).toBeLessThan(1024);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(res.bytes.toString('utf8')).login).toBe(OWNER[0]);
    });

    it('compresses the OpenAPI document and Swagger UI page', async () => {
      const identity = await send(plain.t.url, 'GET', '/docs-json', {});
      const res = await send(plain.t.url, 'GET', '/docs-json', { 'accept-encoding': '*,gzip' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(varies(res)).toBe(true);
      expect(res.bytes.length).toBeLessThan(identity.bytes.length / 4);
      expect(decoded(res).equals(identity.bytes)).toBe(true);
      const page = await send(plain.t.url, 'GET', '/docs', { 'accept-encoding': 'br' });
      expect(page.status).toBe(200);
      expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
      if (Number(decoded(page).length) >= 1024) expect(page.headers['content-encoding']).toBe('br');
    });

    it('answers HEAD with the headers GET has', async () => {
      for (const accept of ['*,gzip', 'br', undefined]) {
        const headers: Record<string, string> = accept ? { 'accept-encoding': accept } : {};
        for (const path of ['/api/file/list?path=/many', '/docs-json']) {
          const get = await api(plain, path, headers);
          const head = await api(plain, path, headers, 'HEAD');
          expect(head.status, `${path} ${accept}`).toBe(200);
          expect(head.bytes.length).toBe(0);
          for (const name of ['content-encoding', 'content-length', 'content-type', 'vary']) expect(head.headers[name], `${path} ${accept} ${name}`).toEqual(get.headers[name]);
        }
      }
    });

    it('compresses a PROPFIND multistatus and still streams it', async () => {
      const identity = await dav(plain, 'PROPFIND', '/dav/many/', { depth: '1' }, PROPFIND);
      expect(identity.status).toBe(207);
      const res = await dav(plain, 'PROPFIND', '/dav/many/', { depth: '1', 'accept-encoding': '*,gzip' }, PROPFIND);
      expect(res.status).toBe(207);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(varies(res)).toBe(true);
      // Streamed: chunked, never buffered whole to learn its length.
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['content-length']).toBeUndefined();
      const xml = decoded(res).toString('utf8');
      expect(xml).toBe(identity.bytes.toString('utf8'));
      expect(xml.match(/<D:response>/g)).toHaveLength(201);
    });
  });

  describe('file content', () => {
    it('sends downloads as stored unless COMPRESS_DOWNLOADS is on', async () => {
      const res = await api(plain, '/api/file/download?path=/big.txt', { 'accept-encoding': '*,gzip' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers.vary).toBeUndefined();
      expect(Number(res.headers['content-length'])).toBe(BIG_TEXT.length);
      expect(res.headers.etag).toMatch(/^"/); // strong
      expect(res.bytes.equals(BIG_TEXT)).toBe(true);
      const viaDav = await dav(plain, 'GET', '/dav/big.txt', { 'accept-encoding': 'gzip, br' });
      expect(viaDav.headers['content-encoding']).toBeUndefined();
      expect(viaDav.bytes.equals(BIG_TEXT)).toBe(true);
    });

    it('with COMPRESS_DOWNLOADS=true encodes text downloads, streamed, with a weak ETag', async () => {
      for (const [accept, coding] of [
        ['*,gzip', 'gzip'],
        ['br', 'br'],
      ] as const) {
        for (const get of [() => api(downloads, '/api/file/download?path=/big.txt', { 'accept-encoding': accept }), () => dav(downloads, 'GET', '/dav/big.txt', { 'accept-encoding': accept })]) {
          const res = await get();
          expect(res.status).toBe(200);
          expect(res.headers['content-encoding']).toBe(coding);
          expect(varies(res)).toBe(true);
          expect(res.headers['content-length']).toBeUndefined();
          expect(res.headers['transfer-encoding']).toBe('chunked');
          expect(res.headers.etag).toMatch(/^W\/"/);
          expect(res.bytes.length).toBeLessThan(BIG_TEXT.length / 3);
          expect(decoded(res).equals(BIG_TEXT)).toBe(true);
        }
      }
      // Without Accept-Encoding: as stored, strong ETag, but the answer varies.
      const identity = await api(downloads, '/api/file/download?path=/big.txt');
      expect(identity.headers['content-encoding']).toBeUndefined();
      expect(Number(identity.headers['content-length'])).toBe(BIG_TEXT.length);
      expect(identity.headers.etag).toMatch(/^"/);
      expect(varies(identity)).toBe(true);
      expect(identity.bytes.equals(BIG_TEXT)).toBe(true);
    });

    it('streams an encoded download: read from the file as it is sent, never buffered whole first', async () => {
      // Random base64 text compresses little (~4:3), so socket and zlib buffers hold a few MiB of
      // the file at most. The file is cut to nothing as soon as the first encoded bytes arrive: a
      // streaming server ends the answer early, with what it had read; one that read the whole
      // file first would still send all of it.
      const size = 32 * 1024 * 1024;
      const content = Buffer.from(randomBytes((size * 3) / 4).toString('base64'));
      const path = join(downloads.main, 'stream.txt');
      await writeFile(path, content);
      const { hostname, port } = new URL(downloads.t.url);
      const answer = await new Promise<{ headers: Record<string, string | string[] | undefined>; bytes: Buffer }>((resolve, reject) => {
        const req = request({ host: hostname, port: Number(port), path: '/api/file/download?path=/stream.txt', headers: { cookie: downloads.session.cookie, 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.once('data', (first: Buffer) => {
            chunks.push(first);
            res.pause();
            truncate(path, 0).then(() => {
              res.on('data', (c: Buffer) => chunks.push(c));
              res.resume();
            }, reject);
          });
          res.on('end', () => resolve({ headers: res.headers, bytes: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      expect(answer.headers['content-encoding']).toBe('gzip');
      const sent = gunzipSync(answer.bytes);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.length).toBeLessThan(size / 2);
      expect(sent.equals(content.subarray(0, sent.length))).toBe(true);
    });

    it('HEAD and 304 of an encoded download carry what its GET carries', async () => {
      for (const path of ['/api/file/download?path=/big.txt', '/dav/big.txt']) {
        const req = (method: string, headers: Record<string, string>) => (path.startsWith('/dav') ? dav(downloads, method, path, headers) : api(downloads, path, headers, method));
        const get = await req('GET', { 'accept-encoding': 'gzip' });
        const head = await req('HEAD', { 'accept-encoding': 'gzip' });
        expect(head.status).toBe(200);
        expect(head.bytes.length).toBe(0);
        for (const name of ['content-encoding', 'content-length', 'etag', 'vary']) expect(head.headers[name], `${path} ${name}`).toEqual(get.headers[name]);
        // The weak tag revalidates (If-None-Match compares weakly)…
        const revalidated = await req('GET', { 'accept-encoding': 'gzip', 'if-none-match': String(get.headers.etag) });
        expect(revalidated.status).toBe(304);
        expect(revalidated.headers.etag).toBe(get.headers.etag);
        expect(revalidated.headers['content-encoding']).toBeUndefined();
        expect(varies(revalidated)).toBe(true);
        // …and never passes for the stored bytes where a strong match is required.
        const ranged = await req('GET', { 'accept-encoding': 'gzip', range: 'bytes=0-9', 'if-range': String(get.headers.etag) });
        expect(ranged.status).toBe(200); // If-Range with a weak tag: the whole content, not a range
      }
    });

    it('never encodes a range, small files, or media that is compressed already', async () => {
      for (const s of [plain, downloads]) {
        for (const path of ['/api/file/download?path=/big.txt', '/dav/big.txt']) {
          const headers = { 'accept-encoding': '*,gzip', range: 'bytes=100-4195' };
          const res = path.startsWith('/dav') ? await dav(s, 'GET', path, headers) : await api(s, path, headers);
          expect(res.status).toBe(206);
          expect(res.headers['content-encoding']).toBeUndefined();
          expect(res.headers['content-range']).toBe(`bytes 100-4195/${BIG_TEXT.length}`);
          expect(Number(res.headers['content-length'])).toBe(4096);
          expect(res.headers.etag).toMatch(/^"/);
          expect(res.bytes.equals(BIG_TEXT.subarray(100, 4196))).toBe(true);
        }
      }
      for (const name of ['archive.gz', 'blob.bin', 'small.txt']) {
        const res = await api(downloads, `/api/file/download?path=/${name}`, { 'accept-encoding': '*,gzip' });
        expect(res.status, name).toBe(200);
        expect(res.headers['content-encoding'], name).toBeUndefined();
        expect(Number(res.headers['content-length']), name).toBe(res.bytes.length);
      }
    });
  });
});
