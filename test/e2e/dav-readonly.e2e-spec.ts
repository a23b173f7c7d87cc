import { request } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicHeader } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

type Credentials = readonly [string, string];

const OWNER: Credentials = ['rodav', 'rodav-login-password'];
/** `allow /dav/read` and nothing else. */
const READER: Credentials = ['rodav-reader', 'reader-password-1'];
/** `allow /dav/read`, `allow /dav/write`; no rule on delete. */
const WRITER: Credentials = ['rodav-writer', 'writer-password-1'];

const PROPPATCH_SET = (name: string, value: string) =>
  `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example:z"><D:set><D:prop><Z:${name}>${value}</Z:${name}></D:prop></D:set></D:propertyupdate>`;
const LOCKINFO =
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>me</D:owner></D:lockinfo>';
const PROPFIND_ALL = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>';

interface DavResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON for a JSON answer, the text otherwise. */
  body: any;
}

function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<DavResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text && String(res.headers['content-type']).includes('json') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A read-only WebDAV sublogin over real HTTP (contract §5: the `dav` class's `read`, `write` and
 * `delete` actions). Whatever a sublogin may not do is refused `403 acl_denied` before anything
 * changes: the files on disk, dead properties and locks are compared before and after.
 */
describe('WebDAV sublogins limited to reading (and to reading and writing)', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let mainDir: string;

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.admin();
    // An imported (legacy) account: Basic with its login password.
    const created = await admin.post('/api/admin/accounts', { json: { login: OWNER[0], password: OWNER[1], email: 'rodav@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(created.status, created.text).toBe(201);
    mainDir = join(t.env.env.STORAGE_DIR!, created.body.id, 'main');
    const owner = t.client();
    await owner.login(OWNER[0], OWNER[1]);
    for (const [[login, password], rules] of [
      [READER, [{ path: '/dav/read', effect: 'allow' }]],
      [WRITER, [{ path: '/dav/read', effect: 'allow' }, { path: '/dav/write', effect: 'allow' }]],
    ] as const) {
      const res = await owner.post('/api/sublogin/create', { json: { name: login.split('-')[1], password, rules } });
      expect(res.status, res.text).toBe(201);
    }
    // The tree the sublogins meet, made by the owner: a folder with a file, a file with a dead property.
    expect((await dav('MKCOL', '/dav/docs')).status).toBe(201);
    expect((await dav('PUT', '/dav/docs/report.txt', { body: 'quarterly report' })).status).toBe(201);
    expect((await dav('PUT', '/dav/notes.txt', { body: 'notes' })).status).toBe(201);
    expect((await dav('PROPPATCH', '/dav/notes.txt', { body: PROPPATCH_SET('color', 'blue') })).status).toBe(207);
  });
  afterAll(async () => {
    await t?.stop();
  });

  function dav(method: string, path: string, opts: { as?: Credentials; headers?: Record<string, string>; body?: string } = {}): Promise<DavResponse> {
    const [login, password] = opts.as ?? OWNER;
    return send(t.url, method, path, { authorization: basicHeader(login, password), ...opts.headers }, opts.body);
  }

  /** Every file and folder of the account's DAV area on disk, with the files' contents. */
  async function disk(dir = mainDir, prefix = ''): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) Object.assign(out, { [`${path}/`]: '' }, await disk(join(dir, entry.name), path));
      else out[path] = await readFile(join(dir, entry.name), 'utf8');
    }
    return out;
  }

  /** What the owner sees through WebDAV: every resource's properties (dead ones and lockdiscovery included). */
  async function seenByOwner(): Promise<string> {
    const res = await dav('PROPFIND', '/dav/', { headers: { depth: '1' }, body: PROPFIND_ALL });
    expect(res.status).toBe(207);
    const docs = await dav('PROPFIND', '/dav/docs/', { headers: { depth: '1' }, body: PROPFIND_ALL });
    return `${res.body}\n${docs.body}`;
  }

  const refused = (res: DavResponse, what: string) => {
    expect(res.status, what).toBe(403);
    expect(res.body.code, what).toBe('acl_denied');
  };

  it('reads: GET, HEAD, PROPFIND and OPTIONS are allowed', async () => {
    const got = await dav('GET', '/dav/docs/report.txt', { as: READER });
    expect(got.status).toBe(200);
    expect(got.body).toBe('quarterly report');
    expect((await dav('HEAD', '/dav/notes.txt', { as: READER })).status).toBe(200);
    const listed = await dav('PROPFIND', '/dav/', { as: READER, headers: { depth: '1' } });
    expect(listed.status).toBe(207);
    expect(listed.body).toContain('<D:href>/dav/docs/</D:href>');
    expect(listed.body).toContain('<D:href>/dav/notes.txt</D:href>');
    const props = await dav('PROPFIND', '/dav/notes.txt', { as: READER, headers: { depth: '0' }, body: PROPFIND_ALL });
    expect(props.status).toBe(207);
    expect(props.body).toContain('blue');
    expect((await dav('OPTIONS', '/dav/docs/', { as: READER })).status).toBe(200);
    expect((await dav('GET', '/dav/docs/', { as: READER })).body).toContain('report.txt');
  });

  it('refuses every change 403 acl_denied: PUT, DELETE, MOVE, COPY onto, MKCOL, PROPPATCH, LOCK, UNLOCK; nothing changes', async () => {
    const filesBefore = await disk();
    const propsBefore = await seenByOwner();
    expect(filesBefore).toEqual({ '/docs/': '', '/docs/report.txt': 'quarterly report', '/notes.txt': 'notes' });

    refused(await dav('PUT', '/dav/notes.txt', { as: READER, body: 'overwritten' }), 'PUT over a file');
    refused(await dav('PUT', '/dav/docs/new.txt', { as: READER, body: 'new' }), 'PUT of a new file');
    refused(await dav('DELETE', '/dav/notes.txt', { as: READER }), 'DELETE of a file');
    refused(await dav('DELETE', '/dav/docs', { as: READER }), 'DELETE of a folder');
    refused(await dav('MOVE', '/dav/notes.txt', { as: READER, headers: { destination: '/dav/docs/moved.txt' } }), 'MOVE of a file');
    refused(await dav('MOVE', '/dav/docs', { as: READER, headers: { destination: '/dav/renamed' } }), 'MOVE of a folder');
    refused(await dav('COPY', '/dav/notes.txt', { as: READER, headers: { destination: '/dav/docs/copy.txt' } }), 'COPY to a new name');
    refused(await dav('COPY', '/dav/notes.txt', { as: READER, headers: { destination: '/dav/docs/report.txt' } }), 'COPY over a file');
    refused(await dav('COPY', '/dav/docs', { as: READER, headers: { destination: '/dav/docs-copy' } }), 'COPY of a folder');
    refused(await dav('MKCOL', '/dav/docs/sub', { as: READER }), 'MKCOL');
    refused(await dav('PROPPATCH', '/dav/notes.txt', { as: READER, body: PROPPATCH_SET('color', 'red') }), 'PROPPATCH');
    refused(await dav('LOCK', '/dav/notes.txt', { as: READER, headers: { depth: '0' }, body: LOCKINFO }), 'LOCK of a file');
    refused(await dav('LOCK', '/dav/unmapped.txt', { as: READER, headers: { depth: '0' }, body: LOCKINFO }), 'LOCK of an unmapped name');

    // The owner's lock: the read-only sublogin can neither remove it nor write under it.
    const lock = await dav('LOCK', '/dav/docs/report.txt', { headers: { depth: '0' }, body: LOCKINFO });
    expect(lock.status).toBe(200);
    const token = /^<(.+)>$/.exec(String(lock.headers['lock-token']))![1]!;
    refused(await dav('UNLOCK', '/dav/docs/report.txt', { as: READER, headers: { 'lock-token': `<${token}>` } }), 'UNLOCK');
    refused(await dav('PUT', '/dav/docs/report.txt', { as: READER, headers: { if: `(<${token}>)` }, body: 'x' }), 'PUT with the lock token');
    expect((await dav('UNLOCK', '/dav/docs/report.txt', { headers: { 'lock-token': `<${token}>` } })).status).toBe(204);

    expect(await disk()).toEqual(filesBefore);
    expect(await seenByOwner()).toBe(propsBefore);
  });

  it('refuses DELETE, and MOVE (a delete of its source), to a sublogin that may read and write but not delete', async () => {
    // Writing is allowed: new files, replacing, copying.
    expect((await dav('PUT', '/dav/docs/draft.txt', { as: WRITER, body: 'draft' })).status).toBe(201);
    expect((await dav('PUT', '/dav/docs/draft.txt', { as: WRITER, body: 'draft 2' })).status).toBe(204);
    expect((await dav('COPY', '/dav/docs/draft.txt', { as: WRITER, headers: { destination: '/dav/docs/draft-copy.txt' } })).status).toBe(201);
    expect((await dav('MKCOL', '/dav/docs/drafts', { as: WRITER })).status).toBe(201);
    const filesBefore = await disk();

    refused(await dav('DELETE', '/dav/docs/draft.txt', { as: WRITER }), 'DELETE of its own new file');
    refused(await dav('DELETE', '/dav/notes.txt', { as: WRITER }), "DELETE of the owner's file");
    refused(await dav('DELETE', '/dav/docs/drafts', { as: WRITER }), 'DELETE of a folder');
    refused(await dav('MOVE', '/dav/docs/draft.txt', { as: WRITER, headers: { destination: '/dav/docs/drafts/draft.txt' } }), 'MOVE of a file');
    refused(await dav('MOVE', '/dav/docs/drafts', { as: WRITER, headers: { destination: '/dav/drafts' } }), 'MOVE of a folder');

    expect(await disk()).toEqual(filesBefore);
    expect(filesBefore['/docs/draft.txt']).toBe('draft 2');
    expect(filesBefore['/notes.txt']).toBe('notes');
  });
});
