import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementChildren, findElement, readXml, textOf } from '../../src/dav/core/xml-test-reader.js';
import { approvedApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

/**
 * What real WebDAV clients send (issue 16): lftp's `rm` (Depth: 0 on DELETE) and `mv` (its
 * credentials in the Destination), macOS's NFD names, `Expect: 100-continue` (curl, many
 * sync clients), and Windows' probe of the server root. scripts/ci-clients.sh runs lftp and curl
 * themselves against the built service.
 */

type Credentials = readonly [string, string];
const OWNER: Credentials = ['clientuser', 'owner-secret-password-1'];
const NFD_RULE: Credentials = ['clientuser-nfdrule', 'nfdrule-password-1'];
const NFC_RULE: Credentials = ['clientuser-nfcrule', 'nfcrule-password-1'];
const READER: Credentials = ['clientuser-reader', 'reader-password-1'];
/** May write /dav/, except one member of /tree/: a LOCK of /tree/ in depth is refused. */
const TREE_WRITER: Credentials = ['clientuser-treewriter', 'treewriter-password-1'];

// `café` as macOS sends it (e + COMBINING ACUTE ACCENT) and as Linux and Windows type it.
const NFD = 'cafe\u0301';
const NFC = 'caf\u00E9';
const MAX_UPLOAD = 1024 * 1024;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/** Each segment percent-encoded as is (UTF-8 of exactly these code points, no normalisation). */
const enc = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** `<D:href>`s of a multistatus, decoded, in document order. */
function hrefsOf(xml: string): string[] {
  return elementChildren(readXml(xml))
    .filter((r) => r.ns === 'DAV:' && r.local === 'response')
    .map((r) => decodeURIComponent(textOf(findElement(r, 'DAV:', 'href')!)));
}

interface Exchange {
  /** A `100 Continue` came before the final answer. */
  continued: boolean;
  status: number;
  /** The final answer's status line and headers. */
  head: string;
  body: string;
  /** Settles when the server closes the connection. */
  closed: Promise<void>;
}

/**
 * One request on a fresh connection, bytes as written: `head` (request line and headers) first,
 * `body` only once `100 Continue` has come. Settles with the final answer; without a 100, the
 * body is never sent.
 */
function exchange(port: number, head: string, body: string | Buffer): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    let buffer = Buffer.alloc(0);
    let continued = false;
    let settled = false;
    socket.on('error', (err) => {
      if (!settled) reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (settled) return;
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const headText = buffer.subarray(0, end).toString('latin1');
        const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(headText)?.[1]);
        if (status === 100) {
          if (continued) return reject(new Error('a second 100 Continue'));
          continued = true;
          buffer = buffer.subarray(end + 4);
          socket.write(body);
          continue;
        }
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        settled = true;
        resolve({ continued, status, head: headText, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8'), closed });
      }
    });
    socket.write(head);
  });
}

describe('WebDAV clients: lftp, macOS names, Expect: 100-continue, the root probe', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let port: number;
  let mainDir: string;
  let owner: HttpClient;
  let apiKey: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    // Every log line at every level, unredacted: whatever the service logs, a secret would show.
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
    // A proxy on loopback is believed, so a test can also speak as a client elsewhere.
    t = await startTestApp({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD), TRUST_PROXY: '127.0.0.1' }, { logger });
    port = Number(new URL(t.url).port);
    const admin = await t.admin();
    // An imported (legacy) account: Basic with its login password, as lftp and curl send it.
    const created = await admin.post('/api/admin/accounts', { json: { login: OWNER[0], password: OWNER[1], email: 'c@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(created.status, created.text).toBe(201);
    mainDir = join(t.env.env.STORAGE_DIR!, created.body.id, 'main');
    owner = t.client();
    await owner.login(OWNER[0], OWNER[1]);
    const sublogins: Array<[Credentials, Array<{ path: string; effect: 'allow' | 'deny' }>]> = [
      // Rules written with the name in NFD (as a Mac would paste it) and in NFC.
      [
        NFD_RULE,
        [
          { path: '/dav/', effect: 'allow' },
          { path: `/dav/read/acl/${NFD}.txt`, effect: 'deny' },
          { path: '/file/', effect: 'allow' },
          { path: `/file/download/acl/${NFD}.txt`, effect: 'deny' },
        ],
      ],
      [
        NFC_RULE,
        [
          { path: '/dav/', effect: 'allow' },
          { path: `/dav/read/acl/${NFC}.txt`, effect: 'deny' },
        ],
      ],
      [READER, [{ path: '/dav/read', effect: 'allow' }]],
      [
        TREE_WRITER,
        [
          { path: '/dav/', effect: 'allow' },
          { path: '/dav/write/tree/kept.txt', effect: 'deny' },
        ],
      ],
    ];
    for (const [[login, password], rules] of sublogins) {
      const res = await owner.post('/api/sublogin/create', { json: { name: login.split('-')[1], password, rules } });
      expect(res.status, res.text).toBe(201);
    }
    apiKey = (await approvedApplication(t)).key;
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** A request with the target exactly as given (percent-encode it with `enc`). */
  function send(method: string, target: string, opts: { headers?: Record<string, string>; body?: string; as?: Credentials | null } = {}): Promise<Answer> {
    const as = opts.as === undefined ? OWNER : opts.as;
    const headers: Record<string, string> = { ...opts.headers };
    if (as) headers.authorization = basicHeader(as[0], as[1]);
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: target, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = text !== '' && String(res.headers['content-type']).includes('json');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: json ? JSON.parse(text) : text, text });
        });
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  }
  const dav = (method: string, path: string, opts: Parameters<typeof send>[2] = {}) => send(method, enc(path), opts);
  const fileApi = (method: string, route: string, path: string, opts: Parameters<typeof send>[2] = {}) =>
    send(method, `/api/file/${route}?path=${encodeURIComponent(path)}`, { ...opts, headers: { 'x-api-key': apiKey, ...opts.headers } });

  describe('lftp: rm sends Depth: 0, mv sends its credentials in the Destination', () => {
    it('DELETE with Depth: 0 removes a file; on a collection it is refused (RFC 4918 §9.6.1) and nothing is removed', async () => {
      expect((await dav('MKCOL', '/dav/rm')).status).toBe(201);
      for (const name of ['a.txt', 'b.txt']) expect((await dav('PUT', `/dav/rm/${name}`, { body: name })).status).toBe(201);

      expect((await dav('DELETE', '/dav/rm/a.txt', { headers: { depth: '0' } })).status).toBe(204);
      expect((await dav('GET', '/dav/rm/a.txt')).status).toBe(404);

      const onCollection = await dav('DELETE', '/dav/rm', { headers: { depth: '0' } });
      expect(onCollection.status).toBe(400);
      expect(onCollection.body.message).toMatch(/collection.*infinity/);
      expect((await dav('GET', '/dav/rm/b.txt')).body).toBe('b.txt');
      // Depth 1 means nothing for DELETE: still refused, on a file too.
      expect((await dav('DELETE', '/dav/rm/b.txt', { headers: { depth: '1' } })).status).toBe(400);
      expect((await dav('DELETE', '/dav/rm', { headers: { depth: 'infinity' } })).status).toBe(204);
      expect((await dav('PROPFIND', '/dav/rm', { headers: { depth: '0' } })).status).toBe(404);
    });

    it('GET and HEAD of a collection without its trailing slash redirect to it (lftp learns "folder" from that)', async () => {
      expect((await dav('MKCOL', '/dav/cd here')).status).toBe(201);
      expect((await dav('PUT', '/dav/cd here/in.txt', { body: 'in' })).status).toBe(201);
      for (const method of ['HEAD', 'GET']) {
        const res = await send(method, '/dav/cd%20here');
        expect(res.status, method).toBe(301);
        expect(res.headers.location).toBe('/dav/cd%20here/');
        expect((await send(method, '/dav')).headers.location).toBe('/dav/');
      }
      const listing = await send('GET', '/dav/cd%20here/');
      expect(listing.status).toBe(200);
      expect(listing.text).toContain('<a href="in.txt">in.txt</a>'); // relative to the slash URL: /dav/cd here/in.txt
      expect((await send('GET', '/dav/cd%20here/in.txt')).text).toBe('in');
      // Only an existing collection is redirected.
      expect((await send('GET', '/dav/not-there')).status).toBe(404);
    });

    it('MOVE and COPY ignore user info in the Destination; it is never echoed or logged', async () => {
      const secret = OWNER[1];
      expect((await dav('MKCOL', '/dav/mv')).status).toBe(201);
      expect((await dav('PUT', '/dav/mv/src.txt', { body: 'moved by lftp' })).status).toBe(201);
      // Exactly what lftp 4.9 sends for `mv src.txt moved.txt` after `open -u user,pass`.
      const moved = await dav('MOVE', '/dav/mv/src.txt', { headers: { destination: `http://${OWNER[0]}:${secret}@127.0.0.1:${port}/dav/mv/moved.txt` } });
      expect(moved.status).toBe(201);
      expect((await dav('GET', '/dav/mv/moved.txt')).body).toBe('moved by lftp');
      expect((await dav('GET', '/dav/mv/src.txt')).status).toBe(404);

      // User info naming someone else changes nothing: the request's own credentials decide.
      const copied = await dav('COPY', '/dav/mv/moved.txt', { headers: { destination: `http://${READER[0]}:${READER[1]}@127.0.0.1:${port}/dav/mv/copy.txt` } });
      expect(copied.status).toBe(201);
      expect((await dav('GET', '/dav/mv/copy.txt')).body).toBe('moved by lftp');
      const asReader = await dav('COPY', '/dav/mv/moved.txt', { as: READER, headers: { destination: `http://${OWNER[0]}:${secret}@127.0.0.1:${port}/dav/mv/by-reader.txt` } });
      expect(asReader.status).toBe(403);
      expect((await dav('GET', '/dav/mv/by-reader.txt')).status).toBe(404);

      // Another server: refused, and the answer names the request's host, not the Destination's.
      const elsewhere = await dav('MOVE', '/dav/mv/moved.txt', { headers: { destination: `http://${OWNER[0]}:${secret}@127.0.0.1:${port + 1}/dav/mv/x.txt` } });
      expect(elsewhere.status).toBe(502);
      expect(elsewhere.body.message).toContain(`(127.0.0.1:${port})`);
      // Bad: the user info reaches no answer.
      const malformed = await dav('MOVE', '/dav/mv/moved.txt', { headers: { destination: `http://${OWNER[0]}:${secret}@127.0.0.1:${port}/dav/mv/%zz` } });
      expect(malformed.status).toBe(400);

      for (const answer of [moved, copied, asReader, elsewhere, malformed]) {
        expect(answer.text + JSON.stringify(answer.headers)).not.toContain(secret);
        expect(answer.text + JSON.stringify(answer.headers)).not.toContain(READER[1]);
      }
      const logs = logLines.join('');
      expect(logs).toContain('"method":"MOVE"'); // the requests were logged …
      expect(logs).not.toContain(secret); // … and no password with them
      expect(logs).not.toContain(READER[1]);
    });

    it('a Destination naming this machine by another loopback name is this server, for a client on this machine', async () => {
      expect((await dav('MKCOL', '/dav/lo')).status).toBe(201);
      expect((await dav('PUT', '/dav/lo/a.txt', { body: 'loopback' })).status).toBe(201);
      // Sent to 127.0.0.1, the Destination says localhost, or [::1]: the same server.
      expect((await dav('MOVE', '/dav/lo/a.txt', { headers: { destination: `http://localhost:${port}/dav/lo/b.txt` } })).status).toBe(201);
      expect((await dav('COPY', '/dav/lo/b.txt', { headers: { destination: `http://[::1]:${port}/dav/lo/c.txt` } })).status).toBe(201);
      expect((await dav('MOVE', '/dav/lo/c.txt', { headers: { host: `localhost:${port}`, destination: `http://127.0.0.1:${port}/dav/lo/d.txt` } })).status).toBe(201);
      expect((await dav('GET', '/dav/lo/d.txt')).body).toBe('loopback');

      // Another port of this machine is another server.
      const otherPort = await dav('MOVE', '/dav/lo/b.txt', { headers: { destination: `http://localhost:${port + 1}/dav/lo/e.txt` } });
      expect(otherPort.status).toBe(502);
      expect(otherPort.body.message).toMatch(/another server .*\(127\.0\.0\.1:\d+\)/);

      // A client elsewhere (here through a trusted proxy, over HTTPS) means its own machine by localhost.
      const remote = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
      const fromElsewhere = await dav('MOVE', '/dav/lo/b.txt', { headers: { ...remote, destination: `https://localhost:${port}/dav/lo/f.txt` } });
      expect(fromElsewhere.status).toBe(502);
      expect((await dav('MOVE', '/dav/lo/b.txt', { headers: { ...remote, destination: `https://127.0.0.1:${port}/dav/lo/f.txt` } })).status).toBe(201);
      expect((await dav('GET', '/dav/lo/f.txt')).body).toBe('loopback');
    });

    it('an If header tagged with another loopback name for this server names the resource', async () => {
      expect((await dav('PUT', '/dav/lo-lock.txt', { body: 'x' })).status).toBe(201);
      const locked = await dav('LOCK', '/dav/lo-lock.txt', {
        headers: { depth: '0' },
        body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
      });
      expect(locked.status).toBe(200);
      const token = /^<(.+)>$/.exec(String(locked.headers['lock-token']))![1]!;
      const put = await dav('PUT', '/dav/lo-lock.txt', { headers: { if: `<http://localhost:${port}/dav/lo-lock.txt> (<${token}>)` }, body: 'y' });
      expect(put.status).toBe(204);
      expect((await dav('UNLOCK', '/dav/lo-lock.txt', { headers: { 'lock-token': `<${token}>` } })).status).toBe(204);
    });
  });

  describe('Unicode names: one NFC form for storage, lookup and the ACL', () => {
    it('WebDAV: a name sent in NFD and in NFC is one file, listed once under its NFC name', async () => {
      expect((await dav('MKCOL', '/dav/uni')).status).toBe(201);
      expect((await dav('PUT', `/dav/uni/${NFD}.txt`, { body: 'from a Mac' })).status).toBe(201);
      expect((await dav('GET', `/dav/uni/${NFC}.txt`)).body).toBe('from a Mac');
      expect((await dav('PUT', `/dav/uni/${NFC}.txt`, { body: 'from Linux' })).status).toBe(204); // the same file
      expect((await dav('GET', `/dav/uni/${NFD}.txt`)).body).toBe('from Linux');
      expect((await dav('MKCOL', `/dav/uni/${NFD}`)).status).toBe(201);
      expect((await dav('MKCOL', `/dav/uni/${NFC}`)).status).toBe(405); // already there

      const listed = await dav('PROPFIND', '/dav/uni/', { headers: { depth: '1' } });
      expect(listed.status).toBe(207);
      expect(hrefsOf(listed.text)).toEqual(['/dav/uni/', `/dav/uni/${NFC}/`, `/dav/uni/${NFC}.txt`]);
      expect((await readdir(join(mainDir, 'uni'))).sort()).toEqual([NFC, `${NFC}.txt`]);
    });

    it('file API: upload in NFD, download in NFC and the other way round; one entry in the listing', async () => {
      expect((await fileApi('PUT', 'upload', `/api-uni/${NFD}.txt`, { body: 'nfd upload' })).status).toBe(201);
      expect((await fileApi('GET', 'download', `/api-uni/${NFC}.txt`)).text).toBe('nfd upload');
      expect((await fileApi('PUT', 'upload', `/api-uni/${NFC}.txt`, { body: 'nfc upload' })).status).toBe(200); // replaced
      expect((await fileApi('GET', 'download', `/api-uni/${NFD}.txt`)).text).toBe('nfc upload');
      const list = await fileApi('GET', 'list', '/api-uni');
      expect(list.status).toBe(200);
      expect(list.body.items.map((i: { name: string }) => i.name)).toEqual([`${NFC}.txt`]);
      expect((await fileApi('GET', 'info', `/api-uni/${NFD}.txt`)).body).toMatchObject({ name: `${NFC}.txt`, path: `/api-uni/${NFC}.txt` });
    });

    it('a name an earlier version stored in NFD is reached by either form and listed once, in NFC', async () => {
      // As the service stored a macOS upload before names were normalised.
      await mkdir(join(mainDir, `legacy-${NFD}`), { recursive: true });
      await writeFile(join(mainDir, `legacy-${NFD}`, `${NFD}.txt`), 'stored long ago');
      for (const form of [NFC, NFD]) {
        expect((await dav('GET', `/dav/legacy-${form}/${form}.txt`)).body).toBe('stored long ago');
        expect((await fileApi('GET', 'download', `/legacy-${form}/${form}.txt`)).text).toBe('stored long ago');
      }
      const listed = await dav('PROPFIND', `/dav/legacy-${NFC}/`, { headers: { depth: '1' } });
      expect(hrefsOf(listed.text)).toEqual([`/dav/legacy-${NFC}/`, `/dav/legacy-${NFC}/${NFC}.txt`]);
      expect((await fileApi('GET', 'list', `/legacy-${NFC}`)).body.items.map((i: { name: string }) => i.name)).toEqual([`${NFC}.txt`]);
      // Written to in NFC: still the one file; a move gives it the NFC name asked for.
      expect((await dav('PUT', `/dav/legacy-${NFC}/${NFC}.txt`, { body: 'rewritten' })).status).toBe(204);
      expect(await readdir(join(mainDir, `legacy-${NFD}`))).toEqual([`${NFD}.txt`]);
      expect((await dav('MOVE', `/dav/legacy-${NFC}`, { headers: { destination: enc(`/dav/renamed-${NFC}`) } })).status).toBe(201);
      expect((await readdir(mainDir)).filter((n) => n.startsWith('renamed-') || n.startsWith('legacy-'))).toEqual([`renamed-${NFC}`]);
      expect((await dav('GET', `/dav/renamed-${NFD}/${NFC}.txt`)).body).toBe('rewritten');

      // Both forms on disk (two files, as the old version could make): one is listed, the one every request reaches.
      await mkdir(join(mainDir, 'both'));
      await writeFile(join(mainDir, 'both', NFD), 'the NFD one');
      await writeFile(join(mainDir, 'both', NFC), 'the NFC one');
      expect(hrefsOf((await dav('PROPFIND', '/dav/both/', { headers: { depth: '1' } })).text)).toEqual(['/dav/both/', `/dav/both/${NFC}`]);
      expect((await dav('GET', `/dav/both/${NFD}`)).body).toBe('the NFC one');
    });

    it('an ACL rule written in NFD decides requests in NFC, one written in NFC decides NFD requests', async () => {
      expect((await dav('MKCOL', '/dav/acl')).status).toBe(201);
      expect((await dav('PUT', `/dav/acl/${NFC}.txt`, { body: 'secret' })).status).toBe(201);
      expect((await dav('PUT', '/dav/acl/open.txt', { body: 'open' })).status).toBe(201);

      for (const as of [NFD_RULE, NFC_RULE]) {
        for (const form of [NFC, NFD]) {
          const res = await dav('GET', `/dav/acl/${form}.txt`, { as });
          expect(res.status, `${as[0]} GET ${form === NFC ? 'NFC' : 'NFD'}`).toBe(403);
          expect(res.body.code).toBe('acl_denied');
          expect(res.body.message).toContain(`/dav/read/acl/${NFC}.txt is denied`); // decided as the NFC path
        }
        expect((await dav('GET', '/dav/acl/open.txt', { as })).body).toBe('open');
        // The listing leaves out what the rule denies, in whatever form the rule was written.
        expect(hrefsOf((await dav('PROPFIND', '/dav/acl/', { as, headers: { depth: '1' } })).text)).toEqual(['/dav/acl/', '/dav/acl/open.txt']);
      }
      // Through the file API too, whose ACL path comes from the query as sent (not from the
      // storage's NFC path): `/file/download/acl/<NFD>.txt` denies the download in either form.
      for (const form of [NFC, NFD]) expect((await fileApi('GET', 'download', `/acl/${form}.txt`, { as: NFD_RULE })).status).toBe(403);
      expect((await fileApi('GET', 'download', '/acl/open.txt', { as: NFD_RULE })).text).toBe('open');
      // The rule is kept as it decides: in NFC.
      const rules = await owner.get('/api/sublogin/rules?name=nfdrule');
      expect(rules.status, rules.text).toBe(200);
      expect(JSON.stringify(rules.body)).toContain(`/dav/read/acl/${NFC}.txt`);
      expect(JSON.stringify(rules.body)).not.toContain(NFD);
    });
  });

  describe('Expect: 100-continue goes out only once the request is authenticated and allowed', () => {
    const head = (method: string, target: string, length: number, headers: Record<string, string> = {}) =>
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${Object.entries({ ...headers, 'Content-Length': String(length), Expect: '100-continue' })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`;
    const auth = (as: Credentials) => ({ Authorization: basicHeader(as[0], as[1]) });
    const payload = Buffer.alloc(64 * 1024, 'x');

    /** A refusal before the body: the final answer first (no 100), then the connection closes. */
    async function refusedBeforeBody(h: string, status: number): Promise<Exchange> {
      const res = await exchange(port, h, payload);
      expect(res.continued).toBe(false);
      expect(res.status).toBe(status);
      expect(res.head).toMatch(/\r\nconnection: close/i);
      await res.closed;
      return res;
    }

    it('without credentials: 401 at once, no 100 Continue, nothing stored', async () => {
      const res = await refusedBeforeBody(head('PUT', '/dav/expect-anon.bin', payload.length), 401);
      expect(res.head).toMatch(/\r\nwww-authenticate: Basic/i);
      expect((await dav('GET', '/dav/expect-anon.bin')).status).toBe(404);
      await refusedBeforeBody(head('PUT', '/dav/expect-anon.bin', payload.length, { Authorization: basicHeader(OWNER[0], 'wrong-password') }), 401);
      await refusedBeforeBody(head('PUT', '/v2/dav/expect-anon.bin', payload.length), 401);
    });

    it('with credentials: 100 Continue, then the body is sent and stored', async () => {
      const res = await exchange(port, head('PUT', '/dav/expect-ok.bin', payload.length, auth(OWNER)), payload);
      expect(res.continued).toBe(true);
      expect(res.status).toBe(201);
      expect((await dav('GET', '/dav/expect-ok.bin')).text).toBe(payload.toString());
      // The file API's upload the same, once the API key and the ACL are through.
      const upload = await exchange(port, head('PUT', '/api/file/upload?path=%2Fexpect-api.bin', payload.length, { ...auth(OWNER), 'X-API-KEY': apiKey }), payload);
      expect(upload.continued).toBe(true);
      expect(upload.status).toBe(201);
      expect((await fileApi('GET', 'download', '/expect-api.bin')).text).toBe(payload.toString());
    });

    it('refusals decided before the body (ACL, lock, size, API key) send no 100 Continue', async () => {
      // The ACL: a sublogin that may only read.
      await refusedBeforeBody(head('PUT', '/dav/expect-denied.bin', payload.length, auth(READER)), 403);
      await refusedBeforeBody(head('PROPPATCH', '/dav/expect-ok.bin', payload.length, auth(READER)), 403);
      // A lock held by someone else.
      const locked = await dav('LOCK', '/dav/expect-locked.bin', {
        headers: { depth: '0' },
        body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
      });
      expect(locked.status).toBe(201);
      await refusedBeforeBody(head('PUT', '/dav/expect-locked.bin', payload.length, auth(OWNER)), 423);
      // Larger than MAX_UPLOAD_BYTES.
      await refusedBeforeBody(head('PUT', '/dav/expect-big.bin', MAX_UPLOAD + 1, auth(OWNER)), 413);
      // The file API without the API key it needs.
      const noKey = await refusedBeforeBody(head('PUT', '/api/file/upload?path=%2Fexpect-nokey.bin', payload.length, auth(OWNER)), 401);
      expect(noKey.body).toContain('api_key');
      for (const path of ['/expect-denied.bin', '/expect-big.bin', '/expect-nokey.bin']) expect((await dav('GET', `/dav${path}`)).status).toBe(404);
    });

    it('decides access before a PROPFIND, PROPPATCH or LOCK body is read: 403, never the body\'s 400 or 413', async () => {
      const malformed = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>';
      /** A refusal with no `100 Continue`: the body was never read (the first read sends it). */
      async function refusedUnread(method: string, target: string, body: string, as: Credentials, headers: Record<string, string> = {}, length = Buffer.byteLength(body)) {
        const res = await exchange(port, head(method, target, length, { ...auth(as), ...headers }), body);
        expect(res.continued, `${method} ${target}`).toBe(false);
        expect(res.status, `${method} ${target}: ${res.body}`).toBe(403);
        expect(JSON.parse(res.body).code).toBe('acl_denied');
        await res.closed;
      }
      // READER may read /dav/ only: not /backup/, and write nowhere.
      await refusedUnread('PROPFIND', '/backup/', malformed, READER, { Depth: '1' });
      await refusedUnread('PROPFIND', '/backup/', malformed, READER, { Depth: '0' }, 2 * 1024 * 1024);
      await refusedUnread('PROPPATCH', '/dav/expect-ok.bin', malformed, READER);
      await refusedUnread('PROPPATCH', '/dav/expect-ok.bin', malformed, READER, {}, 2 * 1024 * 1024);
      await refusedUnread('LOCK', '/dav/expect-ok.bin', malformed, READER, { Depth: '0' });
      // LOCK Depth infinity needs write on every member: a deny beneath refuses it before the body.
      expect((await dav('MKCOL', '/dav/tree')).status).toBe(201);
      await refusedUnread('LOCK', '/dav/tree/', malformed, TREE_WRITER, { Depth: 'infinity' });
      await refusedUnread('LOCK', '/dav/tree/', malformed, TREE_WRITER, {}, 2 * 1024 * 1024);
      // Allowed, the same bodies are read and judged: malformed 400, too large 413.
      const readable = await exchange(port, head('PROPFIND', '/dav/', Buffer.byteLength(malformed), { ...auth(READER), Depth: '1' }), malformed);
      expect([readable.continued, readable.status]).toEqual([true, 400]);
      const shallow = await exchange(port, head('LOCK', '/dav/tree/', Buffer.byteLength(malformed), { ...auth(TREE_WRITER), Depth: '0' }), malformed);
      expect([shallow.continued, shallow.status]).toEqual([true, 400]);
      const huge = await exchange(port, head('PROPPATCH', '/dav/tree/', 2 * 1024 * 1024, auth(TREE_WRITER)), malformed);
      expect(huge.status).toBe(413);
    });
  });

  describe('OPTIONS / and OPTIONS * (Windows probes the server root)', () => {
    it('answers OPTIONS / without credentials: WebDAV class 1 and 2, nothing about any account', async () => {
      const res = await send('OPTIONS', '/', { as: null });
      expect(res.status).toBe(200);
      expect(res.headers.dav).toBe('1, 2');
      expect(res.headers['ms-author-via']).toBe('DAV');
      expect(res.headers.allow).toBe('OPTIONS, GET, HEAD');
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.text).toBe('');
      // With credentials (Windows sends them once it has them): the same.
      expect((await send('OPTIONS', '/')).headers.dav).toBe('1, 2');
    });

    it('answers OPTIONS * as OPTIONS /; no other method is routed for *', async () => {
      const star = await exchange(port, `OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\n\r\n`, '');
      expect(star.status).toBe(200);
      expect(star.head).toMatch(/\r\ndav: 1, 2\r\n/i);
      expect(star.head).toMatch(/\r\nms-author-via: DAV\r\n/i);
      const get = await exchange(port, `GET * HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\n\r\n`, '');
      expect(get.status).toBe(404);
    });

    it('still asks for credentials on the mounts, OPTIONS included', async () => {
      for (const mount of ['/dav/', '/backup/', '/v2/dav/']) expect((await send('OPTIONS', mount, { as: null })).status).toBe(401);
    });
  });
});
