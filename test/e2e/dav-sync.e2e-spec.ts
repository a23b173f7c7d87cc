import { createHash } from 'node:crypto';
import { rename, stat, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementChildren, findElement, type InfoElement, readXml, textOf } from '../../src/dav/core/xml-test-reader.js';
import { DavChecksumRow } from '../../src/dav/dav-checksum.entity.js';
import { basicHeader } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

/**
 * Issue 16, item 3: what sync clients need to keep modification times and compare checksums
 * (docs/webdav.md, "Sync clients"): X-OC-Mtime on PUT (and COPY/MOVE), the modification time
 * set through PROPPATCH of Win32LastModifiedTime or ownCloud's DAV:lastmodified, OC-Checksum
 * checked on PUT, and oc:checksums computed while the upload streams, carried by COPY and MOVE,
 * and never shown for a file changed behind the service's back. Real HTTP against the real app;
 * scripts/ci-clients.sh does the same with rclone's owncloud vendor.
 */

const DAV = 'DAV:';
const OC = 'http://owncloud.org/ns';
const MS = 'urn:schemas-microsoft-com:';
const USER = ['syncuser', 'syncuser-login-password'] as const;

const PROPFIND = (...props: string[]) =>
  `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="${OC}" xmlns:Z="${MS}"><d:prop>${props.join('')}</d:prop></d:propfind>`;
/** What rclone's owncloud/nextcloud vendors ask for in every listing. */
const RCLONE_PROPFIND = PROPFIND('<d:displayname/>', '<d:getlastmodified/>', '<d:getcontentlength/>', '<d:resourcetype/>', '<oc:checksums/>', '<oc:permissions/>');
const PROPPATCH = (set: string, remove = '') =>
  `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:oc="${OC}" xmlns:Z="${MS}">` +
  (set ? `<D:set><D:prop>${set}</D:prop></D:set>` : '') +
  (remove ? `<D:remove><D:prop>${remove}</D:prop></D:remove>` : '') +
  '</D:propertyupdate>';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

const sha1 = (s: string | Buffer) => createHash('sha1').update(s).digest('hex');
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

/** The `<D:response>` elements of a multistatus, by decoded href. */
function responses(body: string): Map<string, InfoElement> {
  return new Map(
    elementChildren(readXml(body))
      .filter((r) => r.ns === DAV && r.local === 'response')
      .map((r) => [decodeURIComponent(textOf(findElement(r, DAV, 'href')!)), r]),
  );
}

/** Property elements of one response reported with `status`. */
function props(response: InfoElement, status: number): InfoElement[] {
  return elementChildren(response)
    .filter((ps) => ps.local === 'propstat' && textOf(findElement(ps, DAV, 'status')!).includes(` ${status} `))
    .flatMap((ps) => elementChildren(findElement(ps, DAV, 'prop')!));
}

/** The text of property `ns local` reported 200 in `response`, or undefined. */
function value(response: InfoElement, ns: string, local: string): string | undefined {
  const p = props(response, 200).find((e) => e.ns === ns && e.local === local);
  return p === undefined ? undefined : textOf(p).trim();
}

describe('WebDAV for sync clients: modification times and checksums', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let mainDir: string;
  let accountId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.admin();
    const created = await admin.post('/api/admin/accounts', { json: { login: USER[0], password: USER[1], email: 'sync@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(created.status).toBe(201);
    accountId = created.body.id;
    mainDir = join(t.env.env.STORAGE_DIR!, accountId, 'main');
  });
  afterAll(async () => {
    await t?.stop();
  });

  function dav(method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
    const { hostname, port } = new URL(t.url);
    const headers = { authorization: basicHeader(USER[0], USER[1]), ...opts.headers };
    return new Promise((resolve, reject) => {
      const req = request({ host: hostname, port: Number(port), method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = String(res.headers['content-type']).includes('json') && text !== '' ? JSON.parse(text) : undefined;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  }
  const put = (path: string, body: string | Buffer, headers: Record<string, string> = {}) => dav('PUT', path, { body, headers });
  async function propfind(path: string, body: string, depth = '0'): Promise<Map<string, InfoElement>> {
    const res = await dav('PROPFIND', path, { headers: { depth, 'content-type': 'application/xml' }, body });
    expect(res.status, res.text).toBe(207);
    return responses(res.text);
  }
  async function one(path: string, body: string): Promise<InfoElement> {
    const found = (await propfind(path, body)).get(path);
    expect(found, `a response for ${path}`).toBeDefined();
    return found!;
  }
  const checksumsOf = async (path: string) => value(await one(path, RCLONE_PROPFIND), OC, 'checksums');
  const lastModifiedOf = async (path: string) => new Date(value(await one(path, PROPFIND('<d:getlastmodified/>')), DAV, 'getlastmodified')!).getTime();
  const proppatch = (path: string, body: string) => dav('PROPPATCH', path, { body, headers: { 'content-type': 'application/xml' } });
  const checksumRows = () => t.app.get(DataSource).getRepository(DavChecksumRow).find({ where: { accountId } });

  describe('X-OC-Mtime', () => {
    it('PUT keeps the client\'s modification time and says so', async () => {
      const res = await put('/dav/mtime.txt', 'kept time', { 'x-oc-mtime': '1500000000' });
      expect(res.status).toBe(201);
      expect(res.headers['x-oc-mtime']).toBe('accepted');
      expect(await lastModifiedOf('/dav/mtime.txt')).toBe(1_500_000_000_000);
      const head = await dav('HEAD', '/dav/mtime.txt');
      expect(head.headers['last-modified']).toBe('Fri, 14 Jul 2017 02:40:00 GMT');
      expect(head.headers.etag).toBe(res.headers.etag);
      expect((await stat(join(mainDir, 'mtime.txt'))).mtimeMs).toBe(1_500_000_000_000);
      // Replacing it with another time: the new file has the new time (and a new ETag).
      const again = await put('/dav/mtime.txt', 'kept time', { 'x-oc-mtime': '1400000000' });
      expect(again.status).toBe(204);
      expect(again.headers.etag).not.toBe(res.headers.etag);
      expect(await lastModifiedOf('/dav/mtime.txt')).toBe(1_400_000_000_000);
      // Without the header a PUT gets the time of the upload, and no "accepted".
      const plain = await put('/dav/mtime.txt', 'kept time');
      expect(plain.headers['x-oc-mtime']).toBeUndefined();
      expect(await lastModifiedOf('/dav/mtime.txt')).toBeGreaterThan(1_400_000_000_000);
    });

    it('shows the time as Win32LastModifiedTime when asked by name, not in allprop', async () => {
      await put('/dav/win32.txt', 'x', { 'x-oc-mtime': '1600000000' });
      const named = await one('/dav/win32.txt', PROPFIND('<Z:Win32LastModifiedTime/>'));
      expect(value(named, MS, 'Win32LastModifiedTime')).toBe('Sun, 13 Sep 2020 12:26:40 GMT');
      const all = await dav('PROPFIND', '/dav/win32.txt', { headers: { depth: '0' } });
      expect(all.text).not.toContain('Win32LastModifiedTime');
      expect(all.text).not.toContain('checksums');
    });

    it('refuses a malformed X-OC-Mtime with 400 and stores nothing', async () => {
      for (const bad of ['yesterday', '1.5e9', '', '12345678901234']) {
        const res = await put('/dav/bad-mtime.txt', 'x', { 'x-oc-mtime': bad });
        expect(res.status, bad).toBe(400);
        expect(res.json.code).toBe('bad_request');
        expect(res.json.message).toContain('X-OC-Mtime');
      }
      expect((await dav('HEAD', '/dav/bad-mtime.txt')).status).toBe(404);
    });

    it('sets the copy\'s time on COPY and keeps it on MOVE when X-OC-Mtime comes with them', async () => {
      await put('/dav/cm-src.txt', 'copy me', { 'x-oc-mtime': '1500000000' });
      const copy = await dav('COPY', '/dav/cm-src.txt', { headers: { destination: `${t.url}/dav/cm-copy.txt`, 'x-oc-mtime': '1500000000' } });
      expect(copy.status).toBe(201);
      expect(copy.headers['x-oc-mtime']).toBe('accepted');
      expect(await lastModifiedOf('/dav/cm-copy.txt')).toBe(1_500_000_000_000);
      expect(await checksumsOf('/dav/cm-copy.txt')).toBe(`SHA1:${sha1('copy me')} MD5:${md5('copy me')}`);
      const move = await dav('MOVE', '/dav/cm-copy.txt', { headers: { destination: `${t.url}/dav/cm-moved.txt`, 'x-oc-mtime': '1500000001' } });
      expect(move.status).toBe(201);
      expect(await lastModifiedOf('/dav/cm-moved.txt')).toBe(1_500_000_001_000);
      expect(await checksumsOf('/dav/cm-moved.txt')).toBe(`SHA1:${sha1('copy me')} MD5:${md5('copy me')}`);
    });
  });

  describe('modification time through PROPPATCH', () => {
    it('sets it with Win32LastModifiedTime (an RFC 1123 date), keeping the checksums', async () => {
      await put('/dav/pp-win.txt', 'windows');
      const res = await proppatch('/dav/pp-win.txt', PROPPATCH('<Z:Win32LastModifiedTime>Wed, 01 Jan 2020 10:00:00 GMT</Z:Win32LastModifiedTime><Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>'));
      expect(res.status).toBe(207);
      const r = responses(res.text).get('/dav/pp-win.txt')!;
      expect(props(r, 200).map((p) => p.local).sort()).toEqual(['Win32FileAttributes', 'Win32LastModifiedTime']);
      expect(await lastModifiedOf('/dav/pp-win.txt')).toBe(Date.UTC(2020, 0, 1, 10));
      // The time is the file's own, not a dead property beside it; the others stay dead.
      const named = await one('/dav/pp-win.txt', PROPFIND('<Z:Win32LastModifiedTime/>', '<Z:Win32FileAttributes/>'));
      expect(value(named, MS, 'Win32LastModifiedTime')).toBe('Wed, 01 Jan 2020 10:00:00 GMT');
      expect(value(named, MS, 'Win32FileAttributes')).toBe('00000020');
      expect(await checksumsOf('/dav/pp-win.txt')).toBe(`SHA1:${sha1('windows')} MD5:${md5('windows')}`);
    });

    it('sets it with ownCloud\'s DAV:lastmodified and oc:checksums, as rclone sends them', async () => {
      await put('/dav/pp-oc.txt', 'owncloud');
      // rclone's SetModTime for vendor owncloud: Unix seconds, plus the checksum it knows.
      const body = `<?xml version="1.0" encoding="utf-8" ?>
<D:propertyupdate xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns">
 <D:set>
  <D:prop>
   <lastmodified xmlns="DAV:">1234567890</lastmodified>
   <oc:checksums>
	<oc:checksum>SHA1:${sha1('owncloud')}</oc:checksum>
   </oc:checksums>
  </D:prop>
 </D:set>
</D:propertyupdate>
`;
      const res = await proppatch('/dav/pp-oc.txt', body);
      expect(res.status).toBe(207);
      expect(props(responses(res.text).get('/dav/pp-oc.txt')!, 200).map((p) => p.local).sort()).toEqual(['checksums', 'lastmodified']);
      expect(await lastModifiedOf('/dav/pp-oc.txt')).toBe(1_234_567_890_000);
      expect(await checksumsOf('/dav/pp-oc.txt')).toBe(`SHA1:${sha1('owncloud')} MD5:${md5('owncloud')}`);
      // Never a dead property: not listed, not returned by name.
      const listed = await dav('PROPFIND', '/dav/pp-oc.txt', { headers: { depth: '0' } });
      expect(listed.text).not.toMatch(/lastmodified>1234567890/);
    });

    it('refuses the whole PROPPATCH when the checksums are not the file\'s or the time is not a time', async () => {
      await put('/dav/pp-bad.txt', 'bad', { 'x-oc-mtime': '1500000000' });
      const wrongSum = await proppatch('/dav/pp-bad.txt', PROPPATCH(`<D:lastmodified>1234567890</D:lastmodified><oc:checksums><oc:checksum>SHA1:${sha1('other')}</oc:checksum></oc:checksums><Z:color>red</Z:color>`));
      expect(wrongSum.status).toBe(207);
      const r = responses(wrongSum.text).get('/dav/pp-bad.txt')!;
      expect(props(r, 409).map((p) => p.local)).toEqual(['checksums']);
      expect(props(r, 424).map((p) => p.local).sort()).toEqual(['color', 'lastmodified']);
      for (const notATime of ['<Z:Win32LastModifiedTime>soon</Z:Win32LastModifiedTime>', '<D:lastmodified>1.5e9</D:lastmodified>']) {
        const res = await proppatch('/dav/pp-bad.txt', PROPPATCH(notATime));
        expect(props(responses(res.text).get('/dav/pp-bad.txt')!, 409)).toHaveLength(1);
      }
      // Nothing happened: same time, no dead property.
      expect(await lastModifiedOf('/dav/pp-bad.txt')).toBe(1_500_000_000_000);
      expect(value(await one('/dav/pp-bad.txt', PROPFIND('<Z:color/>')), MS, 'color')).toBeUndefined();
    });

    it('keeps getlastmodified protected (RFC 4918) and refuses to remove the settable times or checksums', async () => {
      await put('/dav/pp-protected.txt', 'p', { 'x-oc-mtime': '1500000000' });
      const get = await proppatch('/dav/pp-protected.txt', PROPPATCH('<D:getlastmodified>Wed, 01 Jan 2020 10:00:00 GMT</D:getlastmodified>'));
      expect(props(responses(get.text).get('/dav/pp-protected.txt')!, 403).map((p) => p.local)).toEqual(['getlastmodified']);
      expect(get.text).toContain('cannot-modify-protected-property');
      const remove = await proppatch('/dav/pp-protected.txt', PROPPATCH('', '<Z:Win32LastModifiedTime/><oc:checksums/>'));
      expect(props(responses(remove.text).get('/dav/pp-protected.txt')!, 403).map((p) => p.local).sort()).toEqual(['Win32LastModifiedTime', 'checksums']);
      expect(await lastModifiedOf('/dav/pp-protected.txt')).toBe(1_500_000_000_000);
      expect(await checksumsOf('/dav/pp-protected.txt')).toBe(`SHA1:${sha1('p')} MD5:${md5('p')}`);
    });

    it('sets a collection\'s time too', async () => {
      expect((await dav('MKCOL', '/dav/pp-folder')).status).toBe(201);
      const res = await proppatch('/dav/pp-folder/', PROPPATCH('<Z:Win32LastModifiedTime>Wed, 01 Jan 2020 10:00:00 GMT</Z:Win32LastModifiedTime>'));
      expect(props(responses(res.text).get('/dav/pp-folder/')!, 200)).toHaveLength(1);
      expect(await lastModifiedOf('/dav/pp-folder/')).toBe(Date.UTC(2020, 0, 1, 10));
    });
  });

  describe('OC-Checksum on PUT', () => {
    it('accepts an upload whose SHA1 or MD5 matches, in any case', async () => {
      expect((await put('/dav/sum-ok.txt', 'checked', { 'oc-checksum': `SHA1:${sha1('checked')}` })).status).toBe(201);
      expect((await put('/dav/sum-ok.txt', 'checked', { 'oc-checksum': `md5:${md5('checked').toUpperCase()}` })).status).toBe(204);
      expect((await put('/dav/sum-ok.txt', 'checked', { 'oc-checksum': `SHA1:${sha1('checked')} MD5:${md5('checked')}` })).status).toBe(204);
    });

    it('refuses a mismatch with 400 checksum_mismatch and stores nothing', async () => {
      const res = await put('/dav/sum-bad.txt', 'the real bytes', { 'oc-checksum': `SHA1:${sha1('other bytes')}` });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('checksum_mismatch');
      expect(res.json.message).toContain('nothing was stored');
      expect(res.json.details).toEqual({ algorithm: 'SHA1', expected: sha1('other bytes'), actual: sha1('the real bytes') });
      expect((await dav('HEAD', '/dav/sum-bad.txt')).status).toBe(404);
      // Over an existing file: the old one stays, with its time and checksums.
      await put('/dav/sum-keep.txt', 'old', { 'x-oc-mtime': '1500000000' });
      const over = await put('/dav/sum-keep.txt', 'new!', { 'oc-checksum': `MD5:${md5('something else')}`, 'x-oc-mtime': '1600000000' });
      expect(over.json.code).toBe('checksum_mismatch');
      expect((await dav('GET', '/dav/sum-keep.txt')).text).toBe('old');
      expect(await lastModifiedOf('/dav/sum-keep.txt')).toBe(1_500_000_000_000);
      expect(await checksumsOf('/dav/sum-keep.txt')).toBe(`SHA1:${sha1('old')} MD5:${md5('old')}`);
    });

    it('refuses types it cannot check and malformed values before reading the body', async () => {
      for (const bad of ['ADLER32:084b021f', 'SHA1:abc', 'SHA1', 'SHA256:' + 'a'.repeat(64)]) {
        const res = await put('/dav/sum-type.txt', 'x', { 'oc-checksum': bad });
        expect(res.status, bad).toBe(400);
        expect(res.json.code).toBe('bad_request');
        expect(res.json.message).toContain('OC-Checksum');
      }
      expect((await dav('HEAD', '/dav/sum-type.txt')).status).toBe(404);
    });
  });

  describe('oc:checksums', () => {
    it('is computed as the upload streams: SHA1 and MD5, by name, Depth 0 and 1, on every mount', async () => {
      const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 'abc');
      await put('/dav/sums/big.bin', bytes).then((r) => expect(r.status).toBe(409)); // no parent yet
      expect((await dav('MKCOL', '/dav/sums')).status).toBe(201);
      expect((await put('/dav/sums/big.bin', bytes)).status).toBe(201);
      expect((await put('/dav/sums/empty', '')).status).toBe(201);
      const expected = `SHA1:${sha1(bytes)} MD5:${md5(bytes)}`;
      expect(await checksumsOf('/dav/sums/big.bin')).toBe(expected);
      // The value rclone parses: one <oc:checksum> in the ownCloud namespace.
      const el = props(await one('/dav/sums/big.bin', RCLONE_PROPFIND), 200).find((p) => p.local === 'checksums')!;
      expect(el.ns).toBe(OC);
      expect(elementChildren(el).map((c) => [c.ns, c.local])).toEqual([[OC, 'checksum']]);
      const listing = await propfind('/dav/sums/', RCLONE_PROPFIND, '1');
      expect(value(listing.get('/dav/sums/big.bin')!, OC, 'checksums')).toBe(expected);
      expect(value(listing.get('/dav/sums/empty')!, OC, 'checksums')).toBe(`SHA1:${sha1('')} MD5:${md5('')}`);
      // A collection has none: 404 in its response, with the properties it does have as 200 first.
      const folder = listing.get('/dav/sums/')!;
      expect(props(folder, 404).map((p) => p.local)).toContain('checksums');
      expect(textOf(findElement(elementChildren(folder).find((e) => e.local === 'propstat')!, DAV, 'status')!)).toContain(' 200 ');
      // allprop's include and propname name it too.
      const include = await dav('PROPFIND', '/dav/sums/big.bin', {
        headers: { depth: '0' },
        body: `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="${OC}"><d:allprop/><d:include><oc:checksums/></d:include></d:propfind>`,
      });
      expect(value(responses(include.text).get('/dav/sums/big.bin')!, OC, 'checksums')).toBe(expected);
      const names = await dav('PROPFIND', '/dav/sums/big.bin', { headers: { depth: '0' }, body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:propname/></d:propfind>' });
      expect(props(responses(names.text).get('/dav/sums/big.bin')!, 200).some((p) => p.ns === OC && p.local === 'checksums')).toBe(true);
      // /backup/ is another area with its own.
      expect((await put('/backup/b.txt', 'backup bytes')).status).toBe(201);
      expect(value(await one('/backup/b.txt', RCLONE_PROPFIND), OC, 'checksums')).toBe(`SHA1:${sha1('backup bytes')} MD5:${md5('backup bytes')}`);
    });

    it('is replaced when the file is uploaded again (one row per file)', async () => {
      expect((await put('/dav/again.txt', 'first')).status).toBe(201);
      expect((await put('/dav/again.txt', 'second')).status).toBe(204);
      expect(await checksumsOf('/dav/again.txt')).toBe(`SHA1:${sha1('second')} MD5:${md5('second')}`);
      const rows = (await checksumRows()).filter((r) => r.path === '/again.txt');
      expect(rows.map((r) => [r.sha1, r.md5])).toEqual([[sha1('second'), md5('second')]]);
    });

    it('follows COPY and MOVE, a file or a tree, and goes with DELETE', async () => {
      expect((await dav('MKCOL', '/dav/tree')).status).toBe(201);
      expect((await dav('MKCOL', '/dav/tree/sub')).status).toBe(201);
      await put('/dav/tree/a.txt', 'alpha');
      await put('/dav/tree/sub/b.txt', 'beta');
      const sumA = `SHA1:${sha1('alpha')} MD5:${md5('alpha')}`;
      const sumB = `SHA1:${sha1('beta')} MD5:${md5('beta')}`;

      expect((await dav('COPY', '/dav/tree/a.txt', { headers: { destination: `${t.url}/dav/a-copy.txt` } })).status).toBe(201);
      expect(await checksumsOf('/dav/a-copy.txt')).toBe(sumA);
      expect((await dav('COPY', '/dav/tree/', { headers: { destination: `${t.url}/dav/tree-copy/` } })).status).toBe(201);
      expect(await checksumsOf('/dav/tree-copy/a.txt')).toBe(sumA);
      expect(await checksumsOf('/dav/tree-copy/sub/b.txt')).toBe(sumB);
      // Depth 0 copies the collection alone: nothing is carried for members that were not copied.
      expect((await dav('COPY', '/dav/tree/', { headers: { destination: `${t.url}/dav/tree-shallow/`, depth: '0' } })).status).toBe(201);

      expect((await dav('MOVE', '/dav/tree-copy/', { headers: { destination: `${t.url}/dav/tree-moved/` } })).status).toBe(201);
      expect(await checksumsOf('/dav/tree-moved/sub/b.txt')).toBe(sumB);
      expect((await dav('MOVE', '/dav/a-copy.txt', { headers: { destination: `${t.url}/dav/tree-moved/sub/b.txt` } })).status).toBe(204);
      expect(await checksumsOf('/dav/tree-moved/sub/b.txt')).toBe(sumA);

      const paths = async () => (await checksumRows()).map((r) => r.path).filter((p) => p.startsWith('/tree')).sort();
      expect(await paths()).toEqual(['/tree-moved/a.txt', '/tree-moved/sub/b.txt', '/tree/a.txt', '/tree/sub/b.txt']);
      expect((await dav('DELETE', '/dav/tree-moved/')).status).toBe(204);
      expect((await dav('DELETE', '/dav/tree/a.txt')).status).toBe(204);
      expect(await paths()).toEqual(['/tree/sub/b.txt']);
    });

    it('is not shown for a file changed behind the service\'s back', async () => {
      await put('/dav/behind.txt', 'original', { 'x-oc-mtime': '1500000000' });
      expect(await checksumsOf('/dav/behind.txt')).toBe(`SHA1:${sha1('original')} MD5:${md5('original')}`);
      // Same size, edited in place on disk.
      await writeFile(join(mainDir, 'behind.txt'), 'ORIGINAL');
      const r = await one('/dav/behind.txt', RCLONE_PROPFIND);
      expect(value(r, OC, 'checksums')).toBeUndefined();
      expect(props(r, 404).map((p) => p.local)).toContain('checksums');
      // Replaced by another file of the same size and the same time (as rsync -t would): another inode.
      await put('/dav/replaced.txt', 'original', { 'x-oc-mtime': '1500000000' });
      await writeFile(join(mainDir, 'replaced.tmp'), 'ORIGINAL');
      await utimes(join(mainDir, 'replaced.tmp'), 1_500_000_000, 1_500_000_000);
      await rename(join(mainDir, 'replaced.tmp'), join(mainDir, 'replaced.txt'));
      expect(await lastModifiedOf('/dav/replaced.txt')).toBe(1_500_000_000_000);
      expect(await checksumsOf('/dav/replaced.txt')).toBeUndefined();
      // Only touched: no longer the file the checksums were computed for, so not shown either.
      await put('/dav/touched.txt', 'touched');
      await utimes(join(mainDir, 'touched.txt'), new Date(), new Date(Date.UTC(2021, 0, 1)));
      expect(await checksumsOf('/dav/touched.txt')).toBeUndefined();
      // Depth 1 agrees.
      const listing = await propfind('/dav/', RCLONE_PROPFIND, '1');
      expect(value(listing.get('/dav/behind.txt')!, OC, 'checksums')).toBeUndefined();
      // And a copy of it carries none: the source's row is no longer its own.
      expect((await dav('COPY', '/dav/behind.txt', { headers: { destination: `${t.url}/dav/behind-copy.txt` } })).status).toBe(201);
      expect(await checksumsOf('/dav/behind-copy.txt')).toBeUndefined();
      // Uploading it again through WebDAV gives it checksums again.
      await put('/dav/behind.txt', 'ORIGINAL');
      expect(await checksumsOf('/dav/behind.txt')).toBe(`SHA1:${sha1('ORIGINAL')} MD5:${md5('ORIGINAL')}`);
    });
  });
});
