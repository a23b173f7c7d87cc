import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppPassword } from '../../src/accounts/app-password.entity.js';
import { elementChildren, findElement, readXml, textOf } from '../../src/dav/core/xml-test-reader.js';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { approvedApplication } from '../support/api-key.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { snapshotTree } from '../support/storage-tree.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { elementText, hiddenField } from '../support/web-pages.js';

const APP_PASSWORD = /^[2-9a-km-z]{4}(-[2-9a-km-z]{4}){6}$/;
const now = () => Math.floor(Date.now() / 1000);
let saltCount = 0;
const salt = () => `s${Date.now()}x${saltCount++}`;

/**
 * Several named app passwords per account (issue 20 item 1, contract §4.2): each works beside the
 * others and is revoked alone; an expiry, address ranges and rules limit one password, not the
 * account; OTP takes any of them; the connection's states keep their meaning.
 */
describe('app passwords', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  let key: string;
  let ds: DataSource;

  const whoami = (login: string, password: string, localAddress?: string) =>
    rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader(login, password) }, localAddress });
  const dav = (method: string, path: string, as: [string, string], headers: Record<string, string> = {}, body?: string) =>
    rawRequest(t.url + path, { method, headers: { authorization: basicHeader(as[0], as[1]), ...headers }, body });

  async function customer(login: string, registeredAt?: string): Promise<{ me: HttpClient; id: string }> {
    const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-login-password`, email: `${login}@example.com`, ...(registeredAt ? { registeredAt } : {}) } });
    expect(res.status).toBe(201);
    const me = t.client();
    await me.login(login, `${login}-login-password`);
    return { me, id: res.body.id };
  }

  async function issue(me: HttpClient, body: Record<string, unknown>): Promise<{ id: string; password: string }> {
    const res = await me.post('/api/me/app-passwords', { json: body });
    expect(res.status, res.text).toBe(201);
    expect(res.body.password).toMatch(APP_PASSWORD);
    return { id: res.body.id, password: res.body.password };
  }

  beforeAll(async () => {
    t = await startTestApp({ OTP_MAX_TTL: '600' });
    admin = await t.admin();
    key = (await approvedApplication(t)).key;
    ds = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('issues several named passwords that work side by side; revoking one leaves the others working', async () => {
    const { me } = await customer('multi');
    const first = (await me.post('/api/me/app-connection/enable')).body.password as string;
    const laptop = await issue(me, { name: 'laptop' });
    const phone = await issue(me, { name: 'phone ☎' });
    for (const password of [first, laptop.password, phone.password]) expect((await whoami('multi', password)).status).toBe(200);

    const list = await me.get('/api/me/app-passwords');
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { name: string }) => i.name).sort()).toEqual(['app password', 'laptop', 'phone ☎']);
    // The secrets are never shown again, nor anything derived from them.
    for (const password of [first, laptop.password, phone.password]) expect(list.text).not.toContain(password);
    for (const item of list.body.items) expect(Object.keys(item).sort()).toEqual(['allowedRanges', 'createdAt', 'expiresAt', 'id', 'lastUsedAt', 'lastUsedIp', 'name', 'rules']);
    // Last use is recorded on the password that was used (in the background, at most once a minute).
    await expect
      .poll(async () => (await me.get('/api/me/app-passwords')).body.items.find((i: { name: string }) => i.name === 'laptop').lastUsedIp, { timeout: 2_000 })
      .toBe('127.0.0.1');

    // Revoked: refused at once (the verification was cached a moment ago); the others go on.
    expect((await me.delete(`/api/me/app-passwords/${laptop.id}`)).status).toBe(204);
    expect((await whoami('multi', laptop.password)).body.code).toBe('invalid_credentials');
    expect((await whoami('multi', phone.password)).status).toBe(200);
    expect((await whoami('multi', first)).status).toBe(200);
    expect((await me.delete(`/api/me/app-passwords/${laptop.id}`)).body.code).toBe('not_found');
    expect((await me.get('/api/me/app-passwords')).body.items).toHaveLength(2);

    // Someone else's password cannot be revoked by id.
    const { me: other } = await customer('multiother');
    expect((await other.delete(`/api/me/app-passwords/${phone.id}`)).body.code).toBe('not_found');
    expect((await whoami('multi', phone.password)).status).toBe(200);
  });

  it('keeps the connection contract: disabled and legacy issue none, reissue replaces all, disable revokes all', async () => {
    const { me } = await customer('states');
    // New accounts start disabled: no app password can be issued before enabling.
    const refused = await me.post('/api/me/app-passwords', { json: { name: 'early' } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('app_connection_conflict');
    const first = (await me.post('/api/me/app-connection/enable')).body.password as string;
    expect((await me.get('/api/me/app-passwords')).body.items.map((i: { name: string }) => i.name)).toEqual(['app password']);
    const second = await issue(me, { name: 'second' });

    const reissued = await me.post('/api/me/app-connection/reissue');
    expect(reissued.status).toBe(200);
    const third = reissued.body.password as string;
    expect((await whoami('states', first)).body.code).toBe('invalid_credentials');
    expect((await whoami('states', second.password)).body.code).toBe('invalid_credentials');
    expect((await whoami('states', third)).status).toBe(200);
    expect((await me.get('/api/me/app-passwords')).body.items).toHaveLength(1);

    await issue(me, { name: 'again' });
    expect((await me.post('/api/me/app-connection/disable')).body.state).toBe('disabled');
    expect((await me.get('/api/me/app-passwords')).body.items).toEqual([]);
    expect((await whoami('states', third)).body.code).toBe('invalid_credentials');
    expect((await me.post('/api/me/app-passwords', { json: { name: 'after' } })).body.code).toBe('app_connection_conflict');

    // Legacy keeps the login password until it reissues; it issues no app password before.
    const { me: old } = await customer('statesold', '2019-01-01T00:00:00Z');
    expect((await old.post('/api/me/app-passwords', { json: { name: 'x' } })).body.code).toBe('app_connection_conflict');
    expect((await whoami('statesold', 'statesold-login-password')).status).toBe(200);
    const out = (await old.post('/api/me/app-connection/reissue')).body.password as string;
    expect((await whoami('statesold', 'statesold-login-password')).body.code).toBe('invalid_credentials');
    expect((await whoami('statesold', out)).status).toBe(200);
  });

  it('refuses bad input with a 400 naming it, and stores nothing', async () => {
    const { me } = await customer('badinput');
    await me.post('/api/me/app-connection/enable');
    const bad: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'validation_failed'],
      [{ name: 'x'.repeat(65) }, 'validation_failed'],
      [{ name: 'tab\there' }, 'validation_failed'],
      [{ name: ' padded' }, 'validation_failed'],
      [{ name: 'past', expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'validation_failed'],
      [{ name: 'notadate', expiresAt: 'friday' }, 'validation_failed'],
      [{ name: 'ranges', allowedRanges: ['10.0.0.0/33'] }, 'validation_failed'],
      [{ name: 'ranges2', allowedRanges: ['office'] }, 'validation_failed'],
      [{ name: 'rules', rules: [{ path: '/nosuchclass/', effect: 'allow' }] }, 'acl_rule_invalid'],
      [{ name: 'rules2', rules: [{ path: '/dav/read/../x', effect: 'allow' }] }, 'acl_rule_invalid'],
      [{ name: 'rules3', rules: [{ path: '/dav/', effect: 'maybe' }] }, 'validation_failed'],
      [{ name: 'extra', password: 'chosen-by-me' }, 'validation_failed'],
    ];
    for (const [body, code] of bad) {
      const res = await me.post('/api/me/app-passwords', { json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code, JSON.stringify(body)).toBe(code);
    }
    expect((await me.get('/api/me/app-passwords')).body.items).toHaveLength(1);
    // A taken name is a conflict, and a revoke of something that is no id is refused.
    const taken = await me.post('/api/me/app-passwords', { json: { name: 'app password' } });
    expect([taken.status, taken.body.code]).toEqual([409, 'conflict']);
    expect((await me.delete('/api/me/app-passwords/not-a-uuid')).status).toBe(400);
    expect((await me.get('/api/me/app-passwords')).body.items).toHaveLength(1);
    // Ranges are stored normalised.
    await issue(me, { name: 'normal', allowedRanges: ['192.0.2.7', '2001:db8::/32', '192.0.2.7/32'] });
    const normal = (await me.get('/api/me/app-passwords')).body.items.find((i: { name: string }) => i.name === 'normal');
    expect(normal.allowedRanges).toEqual(['192.0.2.7/32', '2001:db8::/32']);
  });

  it('refuses an expired password with credential_expired, checked on cached verifications too', async () => {
    const { me } = await customer('expiry');
    await me.post('/api/me/app-connection/enable');
    // Expired in the database before its first use.
    const stale = await issue(me, { name: 'stale', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await ds.getRepository(AppPassword).update({ id: stale.id }, { expiresAt: new Date(Date.now() - 1000) });
    const expired = await whoami('expiry', stale.password);
    expect([expired.status, expired.body.code]).toEqual([401, 'credential_expired']);
    // A wrong password learns nothing of the limits.
    expect((await whoami('expiry', 'wxyz-wxyz-wxyz-wxyz-wxyz-wxyz-wxyz')).body.code).toBe('invalid_credentials');

    // Expiring while its verification is cached.
    const expiresAt = Date.now() + 3000;
    const soon = await issue(me, { name: 'soon', expiresAt: new Date(expiresAt).toISOString() });
    expect((await whoami('expiry', soon.password)).status).toBe(200);
    expect((await whoami('expiry', soon.password)).status).toBe(200);
    await new Promise((r) => setTimeout(r, expiresAt + 50 - Date.now()));
    expect((await whoami('expiry', soon.password)).body.code).toBe('credential_expired');
    const listed = (await me.get('/api/me/app-passwords')).body.items.find((i: { name: string }) => i.name === 'soon');
    expect(Date.parse(listed.expiresAt)).toBeLessThan(Date.now());
  });

  it('works only from its address ranges: address_not_allowed elsewhere', async () => {
    const { me } = await customer('ranges');
    await me.post('/api/me/app-connection/enable');
    const office = await issue(me, { name: 'office', allowedRanges: ['10.0.0.0/8'] });
    const local = await issue(me, { name: 'local', allowedRanges: ['127.0.0.1/32', '192.0.2.0/24'] });
    const refused = await whoami('ranges', office.password);
    expect([refused.status, refused.body.code]).toEqual([403, 'address_not_allowed']);
    expect((await whoami('ranges', local.password)).status).toBe(200);
    // Cached for 127.0.0.1, still refused from 127.0.0.2.
    expect((await whoami('ranges', local.password, '127.0.0.2')).body.code).toBe('address_not_allowed');
    expect((await whoami('ranges', 'wxyz-wxyz-wxyz-wxyz-wxyz-wxyz-wxyz', '127.0.0.2')).body.code).toBe('invalid_credentials');
  });

  describe('rules', () => {
    let mainDir: string;
    let scoped: { id: string; password: string };
    let full: string;
    const RULES = [
      { path: '/dav/read/proj', effect: 'allow' },
      { path: '/dav/write/', effect: 'allow' },
      { path: '/dav/read/proj/secret', effect: 'deny' },
      { path: '/file/download/proj/pub', effect: 'allow' },
      { path: '/file/list/proj', effect: 'allow' },
      { path: '/file/copy/proj', effect: 'allow' },
      { path: '/file/copy/proj/secret', effect: 'deny' },
      { path: '/file/copy/copies', effect: 'allow' },
      { path: '/sublogin/', effect: 'allow' },
    ];
    const hrefs = (xml: string) =>
      elementChildren(readXml(xml))
        .filter((r) => r.local === 'response')
        .map((r) => decodeURIComponent(textOf(findElement(r, 'DAV:', 'href')!)));

    beforeAll(async () => {
      const { me, id } = await customer('scoped');
      mainDir = join(t.env.env.STORAGE_DIR!, id, 'main');
      full = (await me.post('/api/me/app-connection/enable')).body.password;
      scoped = await issue(me, { name: 'backup job', rules: RULES });
      for (const [path, body] of [
        ['/proj/pub/a.txt', 'public'],
        ['/proj/secret/x.txt', 'secret'],
        ['/other/o.txt', 'other'],
      ]) {
        expect((await me.put(`/api/file/upload?path=${path}`, { body })).status).toBeLessThan(300);
      }
      const listed = (await me.get('/api/me/app-passwords')).body.items.find((i: { name: string }) => i.name === 'backup job');
      // Stored canonical, as sublogin rules are.
      expect(listed.rules).toEqual(RULES.map((r) => ({ ...r, path: r.path.replace(/\/$/, '') })));
    });

    it('allows inside its rules and answers outside_scope outside them (the account itself could)', async () => {
      const as: [string, string] = ['scoped', scoped.password];
      const inside = await dav('GET', '/dav/proj/pub/a.txt', as);
      expect([inside.status, inside.body]).toEqual([200, 'public']);
      for (const path of ['/dav/other/o.txt', '/dav/proj/secret/x.txt']) {
        const out = await dav('GET', path, as);
        expect(out.status, path).toBe(403);
        expect(out.body.code).toBe('outside_scope');
      }
      expect((await dav('GET', '/dav/other/o.txt', ['scoped', full])).status).toBe(200);
      // The file API too (with an API key).
      const api = (path: string) => rawRequest(`${t.url}${path}`, { headers: { authorization: basicHeader(...as), 'x-api-key': key } });
      expect((await api('/api/file/download?path=/proj/pub/a.txt')).status).toBe(200);
      expect((await api('/api/file/download?path=/other/o.txt')).body.code).toBe('outside_scope');
    });

    it('decides every member of a tree: PROPFIND leaves out, COPY of a folder with a member outside is refused and copies nothing', async () => {
      const as: [string, string] = ['scoped', scoped.password];
      const listed = await dav('PROPFIND', '/dav/proj/', as, { depth: '1' });
      expect(listed.status).toBe(207);
      expect(hrefs(listed.body)).toEqual(['/dav/proj/', '/dav/proj/pub/']);

      const before = await snapshotTree(mainDir);
      const copy = await dav('COPY', '/dav/proj/', as, { destination: '/dav/leak/' });
      expect(copy.status).toBe(403);
      expect(copy.body.code).toBe('outside_scope');
      expect(copy.body.message).toContain('/dav/read/proj/secret');
      expect(await snapshotTree(mainDir)).toEqual(before);
      // The file API's copy of the same folder too.
      const fileCopy = await rawRequest(`${t.url}/api/file/copy`, {
        method: 'POST',
        headers: { authorization: basicHeader(...as), 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ from: '/proj', to: '/copies/proj' }),
      });
      expect([fileCopy.status, fileCopy.body.code]).toEqual([403, 'outside_scope']);
      expect(fileCopy.body.message).toContain('/file/copy/proj/secret');
      expect(await snapshotTree(mainDir)).toEqual(before);
      // A tree wholly inside is copied.
      expect((await dav('COPY', '/dav/proj/pub/', as, { destination: '/dav/pub-copy/' })).status).toBe(201);
    });

    it('grants a sublogin no right the password lacks', async () => {
      const res = await rawRequest(`${t.url}/api/sublogin/create`, {
        method: 'POST',
        headers: { authorization: basicHeader('scoped', scoped.password), 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'wide', rules: [{ path: '/dav/', effect: 'allow' }] }),
      });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('sublogin_escalation');
      const within = await rawRequest(`${t.url}/api/sublogin/create`, {
        method: 'POST',
        headers: { authorization: basicHeader('scoped', scoped.password), 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'narrow', rules: [{ path: '/dav/read/proj/pub', effect: 'allow' }] }),
      });
      expect(within.status).toBe(201);
    });

    it('applies to one-time passwords made with the scoped password', async () => {
      const download = (path: string, otp: string) => rawRequest(`${t.url}/api/file/download?path=${path}&otp=${encodeURIComponent(otp)}`, { headers: { 'x-api-key': key } });
      const inside = await download('/proj/pub/a.txt', makeOtp('scoped', scoped.password, now() + 60, salt(), 'hmac-sha256'));
      expect([inside.status, inside.body]).toEqual([200, 'public']);
      const outside = await download('/other/o.txt', makeOtp('scoped', scoped.password, now() + 60, salt(), 'hmac-sha256'));
      expect([outside.status, outside.body.code]).toEqual([403, 'outside_scope']);
      // The same account's unlimited password: its OTP is not limited.
      expect((await download('/other/o.txt', makeOtp('scoped', full, now() + 60, salt()))).status).toBe(200);
    });
  });

  it('takes any live app password for OTP, with that password\'s limits; a revoked one no more', async () => {
    const { me } = await customer('otpmulti');
    const first = (await me.post('/api/me/app-connection/enable')).body.password as string;
    const other = await issue(me, { name: 'other' });
    const far = await issue(me, { name: 'far away', allowedRanges: ['10.0.0.0/8'] });
    const get = (otp: string) => rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(otp)}`);
    expect((await get(makeOtp('otpmulti', first, now() + 60, salt()))).status).toBe(200);
    expect((await get(makeOtp('otpmulti', other.password, now() + 60, salt(), 'hmac-sha256'))).status).toBe(200);
    // Its last use is recorded on the password that matched.
    await expect
      .poll(async () => (await me.get('/api/me/app-passwords')).body.items.find((i: { name: string }) => i.name === 'other').lastUsedIp, { timeout: 2_000 })
      .toBe('127.0.0.1');
    expect((await get(makeOtp('otpmulti', far.password, now() + 60, salt()))).body.code).toBe('address_not_allowed');
    expect((await get(makeOtp('otpmulti', 'otpmulti-login-password', now() + 60, salt()))).body.code).toBe('invalid_credentials');
    await me.delete(`/api/me/app-passwords/${other.id}`);
    expect((await get(makeOtp('otpmulti', other.password, now() + 60, salt()))).body.code).toBe('invalid_credentials');
    expect((await get(makeOtp('otpmulti', first, now() + 60, salt()))).status).toBe(200);
  });

  it('finds a migrated password (no look-up HMAC yet) and then fills it in', async () => {
    const { me } = await customer('migrated');
    const password = (await me.post('/api/me/app-connection/enable')).body.password as string;
    const repo = ds.getRepository(AppPassword);
    const mine = (await me.get('/api/me/app-passwords')).body.items[0].id as string;
    // As the migration leaves it: the hash and box moved, the look-up unknown.
    await repo.update({ id: mine }, { lookup: null });
    expect((await whoami('migrated', password)).status).toBe(200);
    expect((await repo.findOneByOrFail({ id: mine })).lookup).toMatch(/^[0-9a-f]{64}$/);
    expect((await whoami('migrated', 'wxyz-wxyz-wxyz-wxyz-wxyz-wxyz-wxyz')).body.code).toBe('invalid_credentials');
  });

  it('MyPage: issues with limits (secret shown once), lists expiry, scope and last use, revokes', async () => {
    const { me } = await customer('pages');
    const page = async (path: string) => (await me.get(path)).text;
    expect(await page('/mypage/app-passwords')).toContain('Enable it on MyPage');
    await me.post('/api/me/app-connection/enable');
    expect(await page('/mypage')).toContain('href="/mypage/app-passwords"');
    const form = await page('/mypage/app-passwords');
    const csrf = hiddenField(form, '_csrf');
    const created = await me.post('/mypage/app-passwords', {
      form: { _csrf: csrf, name: 'nas', expiresAt: '2099-01-01T12:00', ranges: '127.0.0.1\n192.0.2.0/24', rules: 'allow /dav/read/\n# comment\ndeny /dav/read/private' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const password = elementText(created.text, 'app-password')!;
    expect(password).toMatch(APP_PASSWORD);
    expect((await whoami('pages', password)).status).toBe(200);
    const listed = await page('/mypage/app-passwords');
    expect(listed).not.toContain(password);
    expect(listed).toContain('nas');
    expect(listed).toContain('192.0.2.0/24');
    expect(listed).toContain('deny /dav/read/private');
    expect(listed).toContain('2099-01-01');
    const api = (await me.get('/api/me/app-passwords')).body.items.find((i: { name: string }) => i.name === 'nas');
    expect(api).toMatchObject({ expiresAt: '2099-01-01T12:00:00.000Z', allowedRanges: ['127.0.0.1/32', '192.0.2.0/24'] });

    // Bad input: the form again with the problem, nothing stored.
    const bad = await me.post('/mypage/app-passwords', { form: { _csrf: csrf, name: 'bad', rules: 'allow /nosuchclass/' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Line 1 of the rules');
    expect((await me.get('/api/me/app-passwords')).body.items).toHaveLength(2);

    const revoked = await me.post(`/mypage/app-passwords/${api.id}/revoke`, { form: { _csrf: csrf } });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe('/mypage/app-passwords?notice=app-password-revoked');
    expect((await whoami('pages', password)).body.code).toBe('invalid_credentials');
  });
});
