import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { oauthApplication, tokensFor } from '../support/oauth.js';
import { elementText, hiddenField, PageClient } from '../support/web-pages.js';

type Started = TestApp & { env: TestEnv; stop(): Promise<void> };

const APP_PASSWORD = /^[2-9a-km-np-z]{4}(-[2-9a-km-np-z]{4}){6}$/;

describe('web pages (sign-in, MyPage, sublogins, developer, operator)', () => {
  let t: Started;
  let admin: HttpClient;

  async function customer(login: string, extra: Record<string, string> = {}): Promise<PageClient> {
    const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-password`, email: `${login}@example.com`, ...extra } });
    expect(res.status).toBe(201);
    const page = new PageClient(t.url);
    await page.signIn(login, `${login}-password`);
    return page;
  }
  const whoami = (login: string, password: string) => t.client().get('/api/whoami', { basic: [login, password] });

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.admin();
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('access', () => {
    it.each(['/mypage', '/mypage/security', '/mypage/sublogins', '/mypage/sublogins/backup?path=%2Ffile%2F', '/developer', '/operator/applications', '/operator/audit?login=x', '/operator/legacy'])(
      'sends a visitor without a session from %s to the sign-in page, remembering where they were',
      async (path) => {
        const res = await t.client().get(path);
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe(`/sign-in?next=${encodeURIComponent(path)}`);
      },
    );

    it('redirects form posts without a session to the sign-in page too, and leaves the API its JSON 401', async () => {
      const post = await t.client().post('/mypage/app-connection/enable', { form: { _csrf: 'x' } });
      expect(post.status).toBe(303);
      expect(post.headers.get('location')).toBe('/sign-in');
      const api = await t.client().get('/api/me');
      expect(api.status).toBe(401);
      expect(api.headers.get('content-type')).toContain('application/json');
      expect(api.body.code).toBe('authentication_required');
    });

    it('sends / to MyPage', async () => {
      const res = await t.client().get('/');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/mypage');
    });

    it('keeps the pages out of the OpenAPI document', async () => {
      const doc = await t.client().get('/docs-json');
      const paths = Object.keys(doc.body.paths);
      expect(paths.some((p) => /^\/(mypage|developer|operator|sign-in|sign-out)\b/.test(p))).toBe(false);
      expect(paths).toContain('/api/me');
    });

    it('shows a customer who opens an operator page a 403 page, not the page', async () => {
      const page = await customer('nosy');
      const res = await page.get('/operator/accounts');
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.text).toContain('This page is for operators only.');
      expect(res.text).not.toContain('Create or import an account');
    });
  });

  describe('sign-in', () => {
    it('signs in with the form, sets the same HttpOnly session cookie as the API, and goes where the visitor was headed', async () => {
      const c = new PageClient(t.url);
      const res = await c.signIn('admin', 'operator-password-123', '/operator/legacy');
      expect(res.headers.get('location')).toBe('/operator/legacy');
      const cookies = res.headers.getSetCookie();
      expect(cookies.find((x) => x.startsWith('portcullis_session='))).toMatch(/HttpOnly; SameSite=Lax/i);
      expect(cookies.find((x) => x.startsWith('portcullis_csrf='))).toBeDefined();
      expect((await c.get('/operator/legacy')).status).toBe(200);
      // The page session is an API session as well.
      expect((await c.http.get('/api/me')).body.login).toBe('admin');
    });

    it('never redirects off the site after signing in', async () => {
      const c = new PageClient(t.url);
      expect((await c.signIn('admin', 'operator-password-123', '//evil.example/x')).headers.get('location')).toBe('/mypage');
    });

    it('answers a wrong password on the form itself, with no session', async () => {
      const c = new PageClient(t.url);
      const form = await c.http.get('/sign-in');
      const res = await c.http.post('/sign-in', { form: { _signin: hiddenField(form.text, '_signin'), login: 'admin', password: 'wrong-password' } });
      expect(res.status).toBe(401);
      expect(res.text).toContain('Wrong login or password.');
      expect(res.text).toContain('value="admin"');
      expect(res.headers.getSetCookie().some((x) => x.startsWith('portcullis_session='))).toBe(false);
    });

    it('refuses a sign-in posted from elsewhere (no form token: login CSRF)', async () => {
      const res = await t.client().post('/sign-in', { form: { login: 'admin', password: 'operator-password-123' } });
      expect(res.status).toBe(403);
      expect(res.text).toContain('The sign-in form had expired');
      expect(res.headers.getSetCookie().some((x) => x.startsWith('portcullis_session='))).toBe(false);
    });

    it('signs out with a form post, after which pages send to the sign-in page again', async () => {
      const c = await customer('leaving');
      await c.get('/mypage');
      const out = await c.post('/sign-out');
      expect(out.status).toBe(303);
      expect(out.headers.get('location')).toBe('/sign-in?notice=signed-out');
      expect((await c.get('/mypage')).status).toBe(303);
      expect((await c.http.get('/sign-in?notice=signed-out')).text).toContain('You are signed out.');
    });
  });

  describe('CSRF', () => {
    it('refuses a form post without the _csrf field or with a wrong one, and changes nothing', async () => {
      const c = await customer('carol');
      await c.get('/mypage');
      const missing = await c.http.post('/mypage/app-connection/enable', { form: {} });
      expect(missing.status).toBe(403);
      expect(missing.headers.get('content-type')).toContain('text/html');
      expect(missing.text).toContain('security token is missing or out of date');
      const wrong = await c.http.post('/mypage/app-connection/enable', { form: { _csrf: 'A'.repeat(64) } });
      expect(wrong.status).toBe(403);
      // Another session's token is as wrong as a made-up one.
      const other = await customer('mallory');
      await other.get('/mypage');
      expect((await c.http.post('/mypage/app-connection/enable', { form: { _csrf: other.csrf! } })).status).toBe(403);
      expect((await c.http.get('/api/me/app-connection')).body.state).toBe('disabled');
    });

    it('refuses sign-out, sublogin and operator form posts without the token too', async () => {
      const c = await customer('dave');
      for (const path of ['/sign-out', '/mypage/sublogins', '/mypage/password', '/developer/apps']) {
        expect((await c.http.post(path, { form: { name: 'x' } })).status).toBe(403);
      }
      const op = new PageClient(t.url);
      await op.signIn('admin', 'operator-password-123');
      expect((await op.http.post('/operator/accounts', { form: { login: 'sneaky', email: 's@example.com', password: 'sneaky-password' } })).status).toBe(403);
      expect((await admin.get('/api/admin/accounts?limit=500')).body.items.some((a: { login: string }) => a.login === 'sneaky')).toBe(false);
    });
  });

  describe('MyPage', () => {
    it('enables the app connection and shows the new password once, then reissues and disables it', async () => {
      const c = await customer('erin');
      const page = await c.get('/mypage');
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'/);
      expect(page.text).toContain('Disabled');

      const enabled = await c.post('/mypage/app-connection/enable');
      expect(enabled.status).toBe(200);
      expect(enabled.headers.get('cache-control')).toBe('no-store');
      const password = elementText(enabled.text, 'app-password')!;
      expect(password).toMatch(APP_PASSWORD);
      expect((await whoami('erin', password)).status).toBe(200);
      // Shown once: the page does not show it again.
      expect((await c.get('/mypage')).text).not.toContain(password);

      const reissued = await c.post('/mypage/app-connection/reissue');
      const second = elementText(reissued.text, 'app-password')!;
      expect(second).toMatch(APP_PASSWORD);
      expect(second).not.toBe(password);
      expect((await whoami('erin', password)).status).toBe(401);
      expect((await whoami('erin', second)).status).toBe(200);

      const disabled = await c.post('/mypage/app-connection/disable');
      expect(disabled.status).toBe(303);
      expect(disabled.headers.get('location')).toBe('/mypage?notice=connection-disabled');
      expect((await whoami('erin', second)).status).toBe(401);
      // A second "enable" click after the first answered shows the state, not an error page.
      await c.get('/mypage');
      await c.post('/mypage/app-connection/enable');
      expect((await c.post('/mypage/app-connection/enable')).status).toBe(409);
    });

    it('changes the login password after checking the current one and the repetition', async () => {
      const c = await customer('frank');
      await c.get('/mypage');
      const mismatch = await c.post('/mypage/password', { current: 'frank-password', next: 'new-frank-pass', confirm: 'other-frank-pass' });
      expect(mismatch.status).toBe(400);
      expect(mismatch.text).toContain('differ');
      const wrong = await c.post('/mypage/password', { current: 'not-it-at-all', next: 'new-frank-pass', confirm: 'new-frank-pass' });
      expect(wrong.status).toBe(400);
      expect(wrong.text).toContain('The current password is wrong.');
      const short = await c.post('/mypage/password', { current: 'frank-password', next: 'short', confirm: 'short' });
      expect(short.status).toBe(400);
      const ok = await c.post('/mypage/password', { current: 'frank-password', next: 'new-frank-pass', confirm: 'new-frank-pass' });
      expect(ok.status).toBe(303);
      await new PageClient(t.url).signIn('frank', 'new-frank-pass');
    });

    it('lists applications authorized over OAuth and revokes them; blocks an application', async () => {
      const c = await customer('olivia');
      const client = await oauthApplication(t, 'Photo Backup');
      const { access_token } = await tokensFor(t.url, { clientId: client.id, scope: 'file:read', login: 'olivia', password: 'olivia-password' });
      const bearer = () => t.client().get('/api/whoami', { headers: { authorization: `Bearer ${access_token}` } });
      expect((await bearer()).status).toBe(200);

      const page = await c.get('/mypage');
      expect(page.text).toMatch(/Photo Backup[\s\S]*<code>olivia<\/code>: <code>file:read<\/code>/);
      expect((await c.get('/mypage/security')).text).toContain('OAuth grant to <em>Photo Backup</em> by <code>olivia</code>');
      const revoked = await c.post(`/mypage/apps/${client.id}/revoke`);
      expect(revoked.headers.get('location')).toBe('/mypage?notice=app-revoked-access#apps');
      expect((await bearer()).status).toBe(401);
      await c.get('/mypage');
      expect((await c.post(`/mypage/apps/${client.id}/revoke`)).status).toBe(404);

      const blocked = await c.post(`/mypage/apps/${client.id}/block`);
      expect(blocked.headers.get('location')).toBe('/mypage?notice=app-blocked#apps');
      expect((await c.http.get('/api/me/apps')).body.find((a: { id: string }) => a.id === client.id)?.blocked).toBe(true);
      await c.get('/mypage');
      await c.post(`/mypage/apps/${client.id}/unblock`);
      expect((await c.http.get('/api/me/apps')).body.find((a: { id: string }) => a.id === client.id)?.blocked ?? false).toBe(false);
    });

    it('shows stale clients and the last use of each credential on the security page', async () => {
      const c = await customer('grace', { registeredAt: '2020-01-01T00:00:00Z' });
      expect((await whoami('grace', 'grace-password')).status).toBe(200);
      for (let i = 0; i < 3; i++) await whoami('grace', 'an-old-password');
      const page = await c.get('/mypage/security');
      expect(page.status).toBe(200);
      expect(page.text).toContain('The same wrong password, repeated');
      expect(page.text).toMatch(/App connection \(<code>grace<\/code>\)<\/th><td>legacy<\/td><td><time/);
      expect(page.text).toContain('invalid_credentials');
    });
  });

  describe('sublogins', () => {
    it('creates a sublogin with a generated password shown once and rules from text, and explains paths', async () => {
      const c = await customer('heidi');
      await c.get('/mypage/sublogins');
      const created = await c.post('/mypage/sublogins', { name: 'backup', rules: '# backups\nallow /file/\ndeny /file/delete\n' });
      expect(created.status).toBe(201);
      const password = elementText(created.text, 'sublogin-password')!;
      expect(password).toMatch(APP_PASSWORD);
      expect((await whoami('heidi-backup', password)).body).toMatchObject({ login: 'heidi-backup', sublogin: 'backup' });
      // Stored canonical: `/file/` is `/file`.
      expect(created.text).toContain('>allow /file\ndeny /file/delete</textarea>');

      const allowed = await c.get('/mypage/sublogins/backup?path=%2FFILE%2Flist%2F%2Fdocs');
      expect(allowed.text).toContain('<strong>Allowed</strong>: <code>/file/list/docs</code>');
      expect(allowed.text).toContain('Decided by the rule <code>allow /file</code>');
      const denied = await c.get('/mypage/sublogins/backup?path=/file/delete/a.txt');
      expect(denied.text).toContain('<strong>Denied</strong>');
      expect(denied.text).toContain('<code>deny /file/delete</code>');
      const none = await c.get('/mypage/sublogins/backup?path=/stat/traffic');
      expect(none.text).toContain('No rule covers this path');
      const bad = await c.get('/mypage/sublogins/backup?path=/file/list/../../x');
      expect(bad.status).toBe(200);
      expect(bad.text).toContain('That is not a path a request could use');
    });

    it('saves rules, pointing at the line of a bad one, and applies them at once', async () => {
      const c = await customer('ivan');
      await c.get('/mypage/sublogins');
      const created = await c.post('/mypage/sublogins', { name: 'cam', password: 'camera-password-1', rules: '' });
      expect(created.status).toBe(303);
      expect(created.headers.get('location')).toBe('/mypage/sublogins/cam?notice=sublogin-created');
      await c.get('/mypage/sublogins/cam');

      const shape = await c.post('/mypage/sublogins/cam/rules', { rules: 'allow /stat/\npermit everything' });
      expect(shape.status).toBe(400);
      expect(shape.text).toContain('Line 2 (permit everything)');
      const invalid = await c.post('/mypage/sublogins/cam/rules', { rules: 'allow /stat/\n\nallow /nope/x\ndeny /stat/' });
      expect(invalid.status).toBe(400);
      expect(invalid.text).toContain('Line 3 (/nope/x)');
      expect(invalid.text).toContain('Line 4 (/stat): the same path is also on line 1 with the other effect');
      // The text typed is kept in the editor, escaped.
      const xss = await c.post('/mypage/sublogins/cam/rules', { rules: 'allow </textarea><script>alert(1)</script>' });
      expect(xss.status).toBe(400);
      expect(xss.text).not.toContain('<script>alert(1)');
      expect(xss.text).toContain('&lt;/textarea&gt;&lt;script&gt;');

      const saved = await c.post('/mypage/sublogins/cam/rules', { rules: 'allow /stat/traffic' });
      expect(saved.status).toBe(303);
      expect((await t.client().get('/api/sublogin/rules?name=cam', { basic: ['ivan-cam', 'camera-password-1'] })).status).not.toBe(200);
      expect((await admin.get('/api/admin/audit?type=sublogin.rules&login=ivan-cam')).body).toHaveLength(1);
      expect((await c.get('/mypage/sublogins/cam?path=/stat/traffic')).text).toContain('<strong>Allowed</strong>');
    });

    it('disables, enables and deletes a sublogin (deleting needs the confirmation box)', async () => {
      const c = await customer('judy');
      await c.get('/mypage/sublogins');
      await c.post('/mypage/sublogins', { name: 'tmp', password: 'temporary-pass-1' });
      await c.get('/mypage/sublogins/tmp');
      expect((await c.post('/mypage/sublogins/tmp/disable')).headers.get('location')).toBe('/mypage/sublogins/tmp?notice=sublogin-disabled');
      expect((await whoami('judy-tmp', 'temporary-pass-1')).status).toBe(401);
      await c.post('/mypage/sublogins/tmp/enable');
      expect((await whoami('judy-tmp', 'temporary-pass-1')).status).toBe(200);
      const unconfirmed = await c.post('/mypage/sublogins/tmp/delete');
      expect(unconfirmed.status).toBe(400);
      const deleted = await c.post('/mypage/sublogins/tmp/delete', { confirm: 'yes' });
      expect(deleted.headers.get('location')).toBe('/mypage/sublogins?notice=sublogin-deleted');
      expect((await whoami('judy-tmp', 'temporary-pass-1')).status).toBe(401);
      expect((await c.get('/mypage/sublogins/tmp')).status).toBe(404);
    });

    it('refuses a bad name or a taken one on the form', async () => {
      const c = await customer('ken');
      await c.get('/mypage/sublogins');
      const bad = await c.post('/mypage/sublogins', { name: 'Bad Name' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('name must match');
      await c.post('/mypage/sublogins', { name: 'dup', password: 'duplicate-pass' });
      await c.get('/mypage/sublogins');
      const taken = await c.post('/mypage/sublogins', { name: 'dup' });
      expect(taken.status).toBe(400);
      expect(taken.text).toContain('a sublogin named dup exists');
    });
  });

  describe('developers and operators', () => {
    it('registers an application, an operator approves it, the developer fetches the key once and rotates it', async () => {
      const dev = await customer('devon');
      await dev.get('/developer');
      const bad = await dev.post('/developer/apps', { name: 'Sync', homepage: 'ftp://nope', redirectUris: 'https://ok.example/cb\nhttp://remote.example/cb' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('homepage must be an http(s) URL');
      const registered = await dev.post('/developer/apps', { name: 'Sync <Pro>', description: 'Keeps folders in sync', homepage: 'https://sync.example', redirectUris: 'https://sync.example/cb' });
      expect(registered.status).toBe(303);
      const detailPath = registered.headers.get('location')!.split('?')[0]!;
      const id = detailPath.split('/').pop()!;
      expect((await dev.get(detailPath)).text).toContain('Waiting for an operator’s review');

      const op = new PageClient(t.url);
      await op.signIn('admin', 'operator-password-123');
      const queue = await op.get('/operator/applications');
      expect(queue.text).toContain('Sync &lt;Pro&gt;');
      const approved = await op.post(`/operator/applications/${id}/approve`, { view: 'pending' });
      expect(approved.headers.get('location')).toBe('/operator/applications?status=pending&notice=app-approved');
      expect((await op.get('/operator/applications')).text).not.toContain('Sync &lt;Pro&gt;');

      await dev.get(detailPath);
      const issued = await dev.post(`${detailPath}/key`);
      expect(issued.status).toBe(200);
      const key = elementText(issued.text, 'api-key')!;
      expect(key).toMatch(/^[0-9A-F]{32}$/);
      expect((await dev.get(detailPath)).text).not.toContain(key);
      expect((await dev.post(`${detailPath}/key`)).status).toBe(409);
      const rotated = await dev.post(`${detailPath}/key/rotate`);
      const newKey = elementText(rotated.text, 'api-key')!;
      expect(newKey).toMatch(/^[0-9A-F]{32}$/);
      expect(newKey).not.toBe(key);
      expect((await admin.get(`/api/admin/audit?type=admin.apps.approve`)).body[0]).toMatchObject({ actor: 'admin' });
    });

    it('creates and imports accounts, suspends them, and lists legacy ones with their last use', async () => {
      const op = new PageClient(t.url);
      await op.signIn('admin', 'operator-password-123');
      await op.get('/operator/accounts');
      const bad = await op.post('/operator/accounts', { login: 'x', email: 'nope', password: 'short' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('login must match');
      expect(bad.text).not.toContain('value="short"');
      const imported = await op.post('/operator/accounts', { login: 'oldtimer', email: 'old@example.com', password: 'oldtimer-password', role: 'user', registeredAt: '2019-05-01T09:00:00Z' });
      expect(imported.headers.get('location')).toBe('/operator/accounts?notice=account-created');
      expect((await op.get('/operator/accounts')).text).toContain('oldtimer');

      expect((await whoami('oldtimer', 'oldtimer-password')).status).toBe(200);
      const legacy = await op.get('/operator/legacy');
      expect(legacy.text).toMatch(/<code>oldtimer<\/code><\/th>\s*<td><a href="mailto:old@example.com">/);
      expect(legacy.text).not.toMatch(/<code>erin<\/code><\/th>/);

      const id = (await admin.get('/api/admin/accounts?limit=500')).body.items.find((a: { login: string }) => a.login === 'oldtimer').id;
      expect((await op.post(`/operator/accounts/${id}/suspend`)).headers.get('location')).toBe('/operator/accounts?notice=account-suspended');
      expect((await whoami('oldtimer', 'oldtimer-password')).status).toBe(401);
      await op.get('/operator/accounts');
      await op.post(`/operator/accounts/${id}/unsuspend`);
      expect((await whoami('oldtimer', 'oldtimer-password')).status).toBe(200);
    });

    it('filters the audit log and pages backwards', async () => {
      const op = new PageClient(t.url);
      await op.signIn('admin', 'operator-password-123');
      const filtered = await op.get('/operator/audit?login=oldtimer&type=admin.account.suspend&outcome=&from=2000-01-01T00%3A00&to=');
      expect(filtered.status).toBe(200);
      expect(filtered.text).toContain('1 event</caption>');
      expect(filtered.text).toContain('<code>admin.account.suspend</code>');
      const failures = await op.get('/operator/audit?outcome=failure');
      expect(failures.text).toContain('<td class="state-bad">failure</td>');
      expect(failures.text).not.toContain('>success</td>');
      const invalid = await op.get('/operator/audit?from=yesterday');
      expect(invalid.status).toBe(400);
      expect(invalid.text).toContain('from must be a valid ISO 8601 date string');
    });
  });
});
