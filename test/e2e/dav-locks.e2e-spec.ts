import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElement, readXml, textOf } from '../../src/dav/core/xml-test-reader.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest, type RawResponse } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

/**
 * Issue 15, locks: a sublogin's lock cannot shut the account owner out (the owner removes any
 * lock on its resources, by UNLOCK or through `/api/me/locks`), lock timeouts are capped by
 * DAV_MAX_LOCK_TIMEOUT, and the file API honours WebDAV locks.
 */

const DAV = 'DAV:';
type Credentials = readonly [string, string];

const LOCKINFO = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>issue 15</D:owner></D:lockinfo>`;
const LOCKDISCOVERY = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>`;

type App = TestApp & { env: TestEnv; stop(): Promise<void> };

/** An imported (legacy) account, Basic with its login password, its session, and sublogins allowed `/dav/` and `/backup/`. */
async function setUp(t: App, login: string, sublogins: readonly string[]) {
  const password = `${login}-login-password`;
  const admin = await t.admin();
  const created = await admin.post('/api/admin/accounts', { json: { login, password, email: `${login}@example.com`, registeredAt: '2020-01-01T00:00:00Z' } });
  expect(created.status, created.text).toBe(201);
  const session = t.client();
  await session.login(login, password);
  const subs: Credentials[] = [];
  for (const name of sublogins) {
    const subPassword = `${name}-password-1`;
    const res = await session.post('/api/sublogin/create', {
      json: { name, password: subPassword, rules: [{ path: '/dav/', effect: 'allow' }, { path: '/backup/', effect: 'allow' }] },
    });
    expect(res.status, res.text).toBe(201);
    subs.push([`${login}-${name}`, subPassword]);
  }
  return { owner: [login, password] as Credentials, session, subs, mainDir: join(t.env.env.STORAGE_DIR!, created.body.id, 'main') };
}

function davClient(t: App) {
  const dav = (as: Credentials, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> =>
    rawRequest(`${t.url}${path}`, { method, headers: { authorization: basicHeader(as[0], as[1]), ...headers }, body });
  const lock = async (as: Credentials, path: string, headers: Record<string, string> = {}) => {
    const res = await dav(as, 'LOCK', path, { depth: '0', ...headers }, LOCKINFO);
    const token = /^<(.+)>$/.exec(String(res.headers['lock-token'] ?? ''))?.[1];
    return { res, token: token!, timeout: res.status < 300 ? textOf(findElement(readXml(res.body), DAV, 'timeout')!) : undefined };
  };
  return { dav, lock };
}

/** `Second-N` → N. */
function seconds(timeout: string | undefined): number {
  const m = /^Second-(\d+)$/.exec(timeout ?? '');
  if (!m) throw new Error(`not a Second-N timeout: ${timeout}`);
  return Number(m[1]);
}

describe('WebDAV locks: the owner, timeouts, the file API (DAV_MAX_LOCK_TIMEOUT unset)', () => {
  let t: App;
  let dav: ReturnType<typeof davClient>['dav'];
  let lock: ReturnType<typeof davClient>['lock'];
  let owner: Credentials;
  let alpha: Credentials;
  let beta: Credentials;
  let session: HttpClient;
  let mainDir: string;

  beforeAll(async () => {
    t = await startTestApp();
    ({ dav, lock } = davClient(t));
    const acct = await setUp(t, 'lockowner', ['alpha', 'beta']);
    ({ owner, session, mainDir } = acct);
    [alpha, beta] = acct.subs as [Credentials, Credentials];
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("the attack: a sublogin's Infinite depth-infinity lock lasts an hour, and the owner UNLOCKs it with the token lockdiscovery shows", async () => {
    expect((await dav(owner, 'MKCOL', '/dav/proj')).status).toBe(201);
    expect((await dav(owner, 'PUT', '/dav/proj/secret', {}, 'v1')).status).toBe(201);

    const taken = await lock(alpha, '/dav/proj/', { depth: 'infinity', timeout: 'Infinite' });
    expect(taken.res.status).toBe(200);
    expect(taken.timeout).toBe('Second-3600');

    // Locked against everyone without the token, the owner included.
    expect((await dav(owner, 'PUT', '/dav/proj/secret', {}, 'owner v2')).status).toBe(423);
    expect((await dav(owner, 'DELETE', '/dav/proj/secret')).status).toBe(423);

    // What anyone who may read it sees: the lock, its token, at most an hour left.
    const disc = await dav(owner, 'PROPFIND', '/dav/proj/secret', { depth: '0' }, LOCKDISCOVERY);
    expect(disc.status).toBe(207);
    const token = textOf(findElement(readXml(disc.body), DAV, 'locktoken')!).trim();
    expect(token).toBe(taken.token);
    expect(seconds(textOf(findElement(readXml(disc.body), DAV, 'timeout')!))).toBeLessThanOrEqual(3600);

    // Another sublogin still cannot remove it.
    const other = await dav(beta, 'UNLOCK', '/dav/proj/', { 'lock-token': `<${token}>` });
    expect(other.status).toBe(403);
    expect((await dav(owner, 'PUT', '/dav/proj/secret', {}, 'owner v2')).status).toBe(423);

    // The owner can, on the lock root or any resource it covers.
    expect((await dav(owner, 'UNLOCK', '/dav/proj/secret', { 'lock-token': `<${token}>` })).status).toBe(204);
    expect((await dav(owner, 'PUT', '/dav/proj/secret', {}, 'owner v2')).status).toBe(204);
    expect((await dav(owner, 'GET', '/dav/proj/secret')).body).toBe('owner v2');
    expect((await dav(alpha, 'PUT', '/dav/proj/secret', { if: `(<${token}>)` }, 'alpha')).status).toBe(412);
    expect((await dav(owner, 'DELETE', '/dav/proj/secret')).status).toBe(204);
  });

  it('caps every requested timeout and every refresh at an hour', async () => {
    expect((await dav(owner, 'PUT', '/dav/capped.txt', {}, 'c')).status).toBe(201);
    const taken = await lock(alpha, '/dav/capped.txt', { timeout: 'Second-4100000000' });
    expect(taken.res.status).toBe(200);
    expect(taken.timeout).toBe('Second-3600');

    const refreshed = await dav(alpha, 'LOCK', '/dav/capped.txt', { if: `(<${taken.token}>)`, timeout: 'Infinite' });
    expect(refreshed.status).toBe(200);
    expect(seconds(textOf(findElement(readXml(refreshed.body), DAV, 'timeout')!))).toBeLessThanOrEqual(3600);

    const listed = (await session.get('/api/me/locks')).body as Array<{ token: string; expiresAt: string; timeoutSeconds: number }>;
    const row = listed.find((l) => l.token === taken.token)!;
    expect(row.timeoutSeconds).toBeLessThanOrEqual(3600);
    expect(Date.parse(row.expiresAt)).toBeLessThanOrEqual(Date.now() + 3600_000);

    // A shorter request is kept as asked.
    const short = await dav(alpha, 'LOCK', '/dav/capped.txt', { if: `(<${taken.token}>)`, timeout: 'Second-60' });
    expect(seconds(textOf(findElement(readXml(short.body), DAV, 'timeout')!))).toBeLessThanOrEqual(60);
    expect((await dav(alpha, 'UNLOCK', '/dav/capped.txt', { 'lock-token': `<${taken.token}>` })).status).toBe(204);
  });

  it("lists the account's locks and lets the owner remove any of them, audited; nobody else", async () => {
    expect((await dav(owner, 'PUT', '/dav/listed.txt', {}, 'l')).status).toBe(201);
    expect((await dav(owner, 'PUT', '/backup/listed.txt', {}, 'b')).status).toBe(201);
    const bySub = await lock(alpha, '/dav/listed.txt');
    const byOwner = await lock(owner, '/backup/listed.txt', { depth: 'infinity' });
    expect([bySub.res.status, byOwner.res.status]).toEqual([200, 200]);

    // Another account's lock is neither listed nor removable here.
    const stranger = await setUp(t, 'lockstranger', []);
    expect((await dav(stranger.owner, 'PUT', '/dav/theirs.txt', {}, 's')).status).toBe(201);
    const theirs = await lock(stranger.owner, '/dav/theirs.txt');
    expect(theirs.res.status).toBe(200);

    const listed = await session.get('/api/me/locks');
    expect(listed.status).toBe(200);
    const mine = (listed.body as Array<Record<string, unknown>>).filter((l) => l.root === '/listed.txt');
    expect(mine.map((l) => ({ ...l, expiresAt: typeof l.expiresAt, timeoutSeconds: typeof l.timeoutSeconds }))).toEqual([
      { token: byOwner.token, area: 'backup', root: '/listed.txt', depth: 'infinity', scope: 'exclusive', principal: 'lockowner', owner: 'issue 15', expiresAt: 'string', timeoutSeconds: 'number' },
      { token: bySub.token, area: 'main', root: '/listed.txt', depth: '0', scope: 'exclusive', principal: 'lockowner-alpha', owner: 'issue 15', expiresAt: 'string', timeoutSeconds: 'number' },
    ]);
    expect(listed.text).not.toContain(theirs.token);

    // Session only, as all of /api/me; a change needs the CSRF token.
    expect((await rawRequest(`${t.url}/api/me/locks`, { headers: { authorization: basicHeader(owner[0], owner[1]) } })).status).toBe(401);
    expect((await rawRequest(`${t.url}/api/me/locks/${bySub.token}`, { method: 'DELETE', headers: { authorization: basicHeader(alpha[0], alpha[1]) } })).status).toBe(401);
    const noCsrf = await session.delete(`/api/me/locks/${bySub.token}`, { headers: { 'x-csrf-token': 'nope' } });
    expect(noCsrf.status).toBe(403);
    expect((await dav(owner, 'PUT', '/dav/listed.txt', {}, 'still locked')).status).toBe(423);

    const removed = await session.delete(`/api/me/locks/${bySub.token}`);
    expect(removed.status, removed.text).toBe(204);
    expect((await dav(owner, 'PUT', '/dav/listed.txt', {}, 'free')).status).toBe(204);
    expect((await session.delete(`/api/me/locks/${bySub.token}`)).status).toBe(404);
    const foreign = await session.delete(`/api/me/locks/${theirs.token}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('not_found');
    expect((await session.delete('/api/me/locks/urn:uuid:00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await dav(stranger.owner, 'PUT', '/dav/theirs.txt', {}, 'x')).status).toBe(423);

    expect((await session.delete(`/api/me/locks/${byOwner.token}`)).status).toBe(204);
    expect((await dav(owner, 'PUT', '/backup/listed.txt', {}, 'free')).status).toBe(204);
    const after = (await session.get('/api/me/locks')).body as Array<{ root: string }>;
    expect(after.filter((l) => l.root === '/listed.txt')).toEqual([]);

    const audit = await (await t.admin()).get('/api/admin/audit?type=me.lock.remove');
    expect(audit.status).toBe(200);
    const events = audit.body as Array<{ login: string; outcome: string; detail: Record<string, unknown> }>;
    expect(events.map((e) => ({ login: e.login, outcome: e.outcome, detail: e.detail })).reverse()).toEqual([
      { login: 'lockowner', outcome: 'info', detail: { token: bySub.token, area: 'main', root: '/listed.txt', principal: 'lockowner-alpha' } },
      { login: 'lockowner', outcome: 'info', detail: { token: byOwner.token, area: 'backup', root: '/listed.txt', principal: 'lockowner' } },
    ]);
  });

  describe('the file API honours locks', () => {
    const file = (path: string) => join(mainDir, ...path.split('/').filter(Boolean));
    const content = (path: string) => readFile(file(path), 'utf8');
    const upload = (path: string, body: string) => session.put(`/api/file/upload?path=${encodeURIComponent(path)}`, { body, headers: { 'content-type': 'application/octet-stream' } });
    const remove = (path: string) => session.post('/api/file/delete', { json: { path } });
    const move = (from: string, to: string, overwrite = false) => session.post('/api/file/move', { json: { from, to, overwrite } });
    const copy = (from: string, to: string, overwrite = false) => session.post('/api/file/copy', { json: { from, to, overwrite } });
    const expectLocked = (res: { status: number; body: { code?: string } }, what: string) => {
      expect(res.status, what).toBe(423);
      expect(res.body.code, what).toBe('locked');
    };

    it('a locked file: upload, delete, move away, move or copy onto it are 423 and change nothing; copying it elsewhere reads it', async () => {
      expect((await upload('/fa/locked.txt', 'original')).status).toBe(201);
      expect((await upload('/fa/free.txt', 'free')).status).toBe(201);
      const { res, token } = await lock(alpha, '/dav/fa/locked.txt');
      expect(res.status).toBe(200);

      expectLocked(await upload('/fa/locked.txt', 'overwritten'), 'upload');
      expectLocked(await remove('/fa/locked.txt'), 'delete');
      expectLocked(await move('/fa/locked.txt', '/fa/moved.txt'), 'move away');
      expectLocked(await move('/fa/free.txt', '/fa/locked.txt', true), 'move onto');
      expectLocked(await copy('/fa/free.txt', '/fa/locked.txt', true), 'copy onto');
      // Replacing a folder replaces everything in it: a lock on a member holds it.
      expect((await upload('/outside.txt', 'outside')).status).toBe(201);
      expectLocked(await copy('/outside.txt', '/fa', true), 'copy onto the folder holding it');
      expectLocked(await move('/outside.txt', '/fa', true), 'move onto the folder holding it');
      expect(await content('/fa/locked.txt')).toBe('original');
      expect(await content('/outside.txt')).toBe('outside');
      expect(await content('/fa/free.txt')).toBe('free');
      expect(existsSync(file('/fa/moved.txt'))).toBe(false);

      expect((await copy('/fa/locked.txt', '/fa/copied.txt')).status).toBe(200);
      expect(await content('/fa/copied.txt')).toBe('original');

      expect((await dav(alpha, 'UNLOCK', '/dav/fa/locked.txt', { 'lock-token': `<${token}>` })).status).toBe(204);
      expect((await upload('/fa/locked.txt', 'overwritten')).status).toBe(200);
      expect((await copy('/fa/free.txt', '/fa/locked.txt', true)).status).toBe(200);
      expect(await content('/fa/locked.txt')).toBe('free');
      expect((await move('/fa/locked.txt', '/fa/moved.txt')).status).toBe(200);
      expect((await move('/fa/moved.txt', '/fa/locked.txt')).status).toBe(200);
      expect((await remove('/fa/locked.txt')).status).toBe(204);
      expect(existsSync(file('/fa/locked.txt'))).toBe(false);
    });

    it('a depth-infinity lock on a folder holds everything in it, and the folders around it', async () => {
      expect((await upload('/fb/dir/inner.txt', 'inner')).status).toBe(201);
      expect((await upload('/fb/free.txt', 'free')).status).toBe(201);
      const { res, token } = await lock(beta, '/dav/fb/dir', { depth: 'infinity' });
      expect(res.status).toBe(200);

      expectLocked(await upload('/fb/dir/inner.txt', 'x'), 'upload onto a member');
      expectLocked(await upload('/fb/dir/new.txt', 'x'), 'upload of a new member');
      expectLocked(await upload('/fb/dir/sub/deeper/new.txt', 'x'), 'upload into new folders below');
      expectLocked(await remove('/fb/dir/inner.txt'), 'delete a member');
      expectLocked(await remove('/fb'), 'delete a folder holding the lock');
      expectLocked(await move('/fb/dir', '/fb/dir2'), 'move the folder');
      expectLocked(await move('/fb', '/fb-moved'), 'move a folder holding the lock');
      expectLocked(await copy('/fb/free.txt', '/fb/dir/free.txt'), 'copy into it');
      expectLocked(await move('/fb/free.txt', '/fb/dir/free.txt'), 'move into it');
      expect(await content('/fb/dir/inner.txt')).toBe('inner');
      expect(await content('/fb/free.txt')).toBe('free');
      for (const gone of ['/fb/dir/new.txt', '/fb/dir/sub', '/fb/dir2', '/fb-moved', '/fb/dir/free.txt']) expect(existsSync(file(gone)), gone).toBe(false);

      // Beside it, nothing is held.
      expect((await upload('/fb/other.txt', 'o')).status).toBe(201);
      expect((await copy('/fb/dir', '/fb/dir-copy')).status).toBe(200);

      // The owner removes the sublogin's lock through the API; everything works again.
      expect((await session.delete(`/api/me/locks/${token}`)).status).toBe(204);
      expect((await upload('/fb/dir/sub/deeper/new.txt', 'x')).status).toBe(201);
      expect((await copy('/fb/free.txt', '/fb/dir/free.txt')).status).toBe(200);
      expect((await move('/fb/dir', '/fb/dir2')).status).toBe(200);
      expect((await remove('/fb')).status).toBe(204);
      expect(existsSync(file('/fb'))).toBe(false);
    });

    it("a depth-0 lock on a folder holds its membership, not its members' contents", async () => {
      expect((await upload('/fc/coll/member.txt', 'm')).status).toBe(201);
      const { res, token } = await lock(alpha, '/dav/fc/coll');
      expect(res.status).toBe(200);

      expectLocked(await upload('/fc/coll/new.txt', 'n'), 'a new member');
      expectLocked(await upload('/fc/coll/new-folder/n.txt', 'n'), 'a new member folder, made by the upload');
      expectLocked(await remove('/fc/coll/member.txt'), 'removing a member');
      expectLocked(await move('/fc/coll/member.txt', '/fc/elsewhere.txt'), 'moving a member out');
      expectLocked(await copy('/fc/coll/member.txt', '/fc/coll/twin.txt'), 'copying a new member in');
      for (const gone of ['/fc/coll/new.txt', '/fc/coll/new-folder', '/fc/elsewhere.txt', '/fc/coll/twin.txt']) expect(existsSync(file(gone)), gone).toBe(false);

      expect((await upload('/fc/coll/member.txt', 'replaced')).status).toBe(200);
      expect(await content('/fc/coll/member.txt')).toBe('replaced');

      expect((await dav(owner, 'UNLOCK', '/dav/fc/coll', { 'lock-token': `<${token}>` })).status).toBe(204);
      expect((await upload('/fc/coll/new-folder/n.txt', 'n')).status).toBe(201);
      expect((await remove('/fc/coll/member.txt')).status).toBe(204);
    });

    it('only locks of the main area count: a /backup/ lock does not hold the file API', async () => {
      expect((await dav(owner, 'PUT', '/backup/same-name.txt', {}, 'b')).status).toBe(201);
      const { res, token } = await lock(owner, '/backup/same-name.txt');
      expect(res.status).toBe(200);
      expect((await upload('/same-name.txt', 'main')).status).toBe(201);
      expect((await remove('/same-name.txt')).status).toBe(204);
      expect((await dav(owner, 'UNLOCK', '/backup/same-name.txt', { 'lock-token': `<${token}>` })).status).toBe(204);
    });
  });
});

describe('WebDAV locks with DAV_MAX_LOCK_TIMEOUT=120', () => {
  let t: App;
  let owner: Credentials;
  let alpha: Credentials;

  beforeAll(async () => {
    t = await startTestApp({ DAV_MAX_LOCK_TIMEOUT: '120' });
    const acct = await setUp(t, 'capowner', ['alpha']);
    owner = acct.owner;
    alpha = acct.subs[0]!;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('grants at most the configured cap, also by default and on refresh', async () => {
    const { dav, lock } = davClient(t);
    expect((await dav(owner, 'PUT', '/dav/a.txt', {}, 'a')).status).toBe(201);
    const infinite = await lock(alpha, '/dav/a.txt', { depth: 'infinity', timeout: 'Infinite' });
    expect(infinite.res.status).toBe(200);
    expect(infinite.timeout).toBe('Second-120');

    const refreshed = await dav(alpha, 'LOCK', '/dav/a.txt', { if: `(<${infinite.token}>)`, timeout: 'Second-3600' });
    expect(refreshed.status).toBe(200);
    expect(seconds(textOf(findElement(readXml(refreshed.body), DAV, 'timeout')!))).toBeLessThanOrEqual(120);
    expect((await dav(owner, 'UNLOCK', '/dav/a.txt', { 'lock-token': `<${infinite.token}>` })).status).toBe(204);

    const byDefault = await lock(owner, '/dav/a.txt');
    expect(byDefault.timeout).toBe('Second-120');
    expect((await dav(owner, 'UNLOCK', '/dav/a.txt', { 'lock-token': `<${byDefault.token}>` })).status).toBe(204);

    const shorter = await lock(owner, '/dav/a.txt', { timeout: 'Second-30' });
    expect(shorter.timeout).toBe('Second-30');
  });
});
