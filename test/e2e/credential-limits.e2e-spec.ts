import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { StatsService } from '../../src/stats/stats.service.js';
import type { HttpClient, HttpResponse } from '../support/http-client.js';
import { Browser, formOf, oauthApplication, type OAuthTestApp, pkcePair, tokensFor } from '../support/oauth.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { PageClient } from '../support/web-pages.js';
import type { TestEnv } from '../support/test-env.js';

type Started = TestApp & { env: TestEnv; stop(): Promise<void> };

const HOUR = 3_600_000;
const past = () => new Date(Date.now() - HOUR).toISOString();
const future = (hours = 24) => new Date(Date.now() + hours * HOUR).toISOString();
/** Ranges that exclude the test client (127.0.0.1), and ones that include it. */
const ELSEWHERE = ['10.0.0.0/8', '2001:db8::/32'];
const HERE = ['127.0.0.0/8'];
const salt = () => Buffer.from(crypto.getRandomValues(new Uint8Array(9))).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

function expectRefused(res: HttpResponse | { status: number; body: any }, code: 'credential_expired' | 'address_not_allowed'): void {
  expect(res.status, JSON.stringify(res.body)).toBe(code === 'credential_expired' ? 401 : 403);
  expect(res.body.code).toBe(code);
  // Only the limit that failed is named; nothing of the others, nor of the ranges.
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(code === 'credential_expired' ? /address|range/i : /expir/i);
  expect(text).not.toContain('10.0.0.0');
}

/**
 * Issue 20 items 2 and 4 (contract §4.7): expiry and address ranges on sublogins (Basic, OTP, and
 * the Bearer tokens of grants a sublogin made) and on API keys, checked on every request after the
 * secret verified — cached verifications too — with the failing limit's code and nothing else;
 * a limited sublogin managing sublogins gives no more than it has. Over real HTTP; the client is
 * 127.0.0.1.
 */
describe('credential limits: expiry and address ranges', () => {
  let t: Started;
  let alice: HttpClient;
  let admin: HttpClient;
  let app: OAuthTestApp;

  const password = (name: string) => `${name}-password-1`;
  const basic = (name: string, pw = password(name)) => t.client().get('/api/whoami', { basic: [`alice-${name}`, pw] });
  const otp = (name: string, pw = password(name)) => rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(makeOtp(`alice-${name}`, pw, nowS() + 60, salt(), 'hmac-sha256'))}`);
  const bearer = (token: string) => t.client().get('/api/whoami', { headers: { authorization: `Bearer ${token}` } });
  const create = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await alice.post('/api/sublogin/create', { json: { name, password: password(name), ...extra } });
    expect(res.status, res.text).toBe(201);
    return res.body;
  };
  const update = async (name: string, change: Record<string, unknown>) => {
    const res = await alice.post('/api/sublogin/update', { json: { name, ...change } });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  const listed = async (name: string) => (await alice.get('/api/sublogin/list?limit=200')).body.items.find((s: { name: string }) => s.name === name);

  beforeAll(async () => {
    t = await startTestApp({ OTP_MAX_TTL: '600' });
    admin = await t.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'alice', password: 'alice-login-password', email: 'alice@example.com' } })).status).toBe(201);
    alice = t.client();
    await alice.login('alice', 'alice-login-password');
    app = await oauthApplication(t, 'Limits probe');
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('sublogins', () => {
    it('stores the limits normalised and shows them in the answers and the list', async () => {
      const expiresAt = '2099-01-02T03:04:05.000Z';
      const created = await create('shown', { expiresAt: '2099-01-02T04:04:05+01:00', allowedRanges: ['192.0.2.7', '10.0.0.0/8', '2001:db8::/32'] });
      expect(created).toMatchObject({ expiresAt, allowedRanges: ['192.0.2.7/32', '10.0.0.0/8', '2001:db8::/32'] });
      expect(await listed('shown')).toMatchObject({ expiresAt, allowedRanges: ['192.0.2.7/32', '10.0.0.0/8', '2001:db8::/32'] });
      expect(await update('shown', { expiresAt: null, allowedRanges: [] })).toMatchObject({ expiresAt: null, allowedRanges: null });
      expect(await create('plain')).toMatchObject({ expiresAt: null, allowedRanges: null });
    });

    it('Basic: an expired sublogin is 401 credential_expired, one outside its ranges 403 address_not_allowed; inside, it works', async () => {
      await create('bexp', { expiresAt: past() });
      await create('bfar', { expiresAt: future(), allowedRanges: ELSEWHERE });
      await create('bnear', { expiresAt: future(), allowedRanges: HERE });
      const expired = await basic('bexp');
      expectRefused(expired, 'credential_expired');
      expect(expired.headers.get('www-authenticate')).toContain('Basic realm=');
      expectRefused(await basic('bfar'), 'address_not_allowed');
      expect((await basic('bnear')).status).toBe(200);      // Without TRUST_PROXY a forwarding header is no one's word: the peer's address decides.
      const forged = await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader('alice-bfar', password('bfar')), 'x-forwarded-for': '10.1.2.3' } });
      expectRefused(forged, 'address_not_allowed');
    });

    it('a wrong password for a limited sublogin is invalid_credentials: no limit is named before the secret verified', async () => {
      for (const name of ['bexp', 'bfar']) {
        const res = await basic(name, 'wrong-password-1');
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('invalid_credentials');
        const viaOtp = await otp(name, 'wrong-password-1');
        expect(viaOtp.body.code).toBe('invalid_credentials');
      }
    });

    it('OTP of a sublogin carries its limits', async () => {
      expectRefused(await otp('bexp'), 'credential_expired');
      expectRefused(await otp('bfar'), 'address_not_allowed');
      const ok = await otp('bnear');
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ login: 'alice-bnear', method: 'otp' });
    });

    it('re-checks a cached verification on every request: a change through the API refuses the next request at once', async () => {
      await create('cached');
      expect((await basic('cached')).status).toBe(200);
      expect((await basic('cached')).status).toBe(200); // from the verification cache now
      await update('cached', { expiresAt: past() });
      expectRefused(await basic('cached'), 'credential_expired');
      await update('cached', { expiresAt: null, allowedRanges: ELSEWHERE });
      expectRefused(await basic('cached'), 'address_not_allowed');
      await update('cached', { allowedRanges: ['127.0.0.1'] });
      expect((await basic('cached')).status).toBe(200);
    });

    it('refuses an expiry that comes while a verification is cached, without any change', async () => {
      await create('soon', { expiresAt: new Date(Date.now() + 1500).toISOString() });
      expect((await basic('soon')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1600));
      expectRefused(await basic('soon'), 'credential_expired');
    });

    it('refuses bad limits with 400 validation_failed naming the entry, and changes nothing', async () => {
      const bad = await alice.post('/api/sublogin/create', { json: { name: 'badrange', password: password('badrange'), allowedRanges: ['10.0.0.0/8', 'office-lan'] } });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('validation_failed');
      expect(bad.body.message).toContain('office-lan');
      expect(await listed('badrange')).toBeUndefined();
      const badTime = await alice.post('/api/sublogin/create', { json: { name: 'badtime', password: password('badtime'), expiresAt: 'next friday' } });
      expect(badTime.status).toBe(400);
      expect(badTime.body.code).toBe('validation_failed');
      expect(await listed('badtime')).toBeUndefined();

      await create('kept', { expiresAt: future(), allowedRanges: HERE });
      const before = await listed('kept');
      for (const change of [{ allowedRanges: ['127.0.0.1/40'] }, { expiresAt: '2026-12-31T18:00:00' }, { allowedRanges: 'not-a-list' }, { expiresAt: 42 }, { allowedRanges: ['127.0.0.1'], enabled: 'yes' }]) {
        const res = await alice.post('/api/sublogin/update', { json: { name: 'kept', ...change } });
        expect(res.status, JSON.stringify(change)).toBe(400);
        expect(res.body.code).toBe('validation_failed');
      }
      expect(await listed('kept')).toEqual(before);
    });

    it('the refusals are audited with their code and counted in the statistics', async () => {
      const audit = await admin.get('/api/admin/audit?limit=1000&type=auth.basic&login=alice-bexp');
      expect(audit.status).toBe(200);
      expect((audit.body as Array<{ code: string | null; outcome: string }>).some((e) => e.code === 'credential_expired' && e.outcome === 'failure')).toBe(true);
      const far = await admin.get('/api/admin/audit?limit=1000&type=auth.otp&login=alice-bfar');
      expect((far.body as Array<{ code: string | null }>).some((e) => e.code === 'address_not_allowed')).toBe(true);
      // Counts are buffered and written every few seconds: write them now.
      await t.app.get(StatsService).flush();
      const stats = await alice.get('/api/stat/auth');
      expect(stats.status, stats.text).toBe(200);
      expect(JSON.stringify(stats.body)).toContain('credential_expired');
      expect(JSON.stringify(stats.body)).toContain('address_not_allowed');
    });
  });

  describe('Bearer tokens of grants made by a limited sublogin', () => {
    it('carry the sublogin\'s limits, re-checked on every request, cached token or not', async () => {
      await create('oauth', { rules: [{ path: '/file/', effect: 'allow' }], expiresAt: future(), allowedRanges: HERE });
      const tk = await tokensFor(t.url, { clientId: app.id, scope: 'file:read', login: 'alice-oauth', password: password('oauth') });
      const first = await bearer(tk.access_token);
      expect(first.status, first.text).toBe(200);
      expect(first.body).toMatchObject({ login: 'alice-oauth', method: 'bearer' });
      expect((await bearer(tk.access_token)).status).toBe(200); // cached

      await update('oauth', { allowedRanges: ELSEWHERE });
      expectRefused(await bearer(tk.access_token), 'address_not_allowed');
      await update('oauth', { allowedRanges: null, expiresAt: past() });
      const expired = await bearer(tk.access_token);
      expectRefused(expired, 'credential_expired');
      await update('oauth', { expiresAt: null });
      expect((await bearer(tk.access_token)).status).toBe(200);
    });

    it('a sublogin outside its limits cannot sign in to grant a token; a wrong password is told as such', async () => {
      await create('oauthexp', { rules: [{ path: '/file/', effect: 'allow' }], expiresAt: past() });
      await create('oauthfar', { rules: [{ path: '/file/', effect: 'allow' }], allowedRanges: ELSEWHERE });
      const signIn = async (login: string, pw: string) => {
        const params = new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: app.redirectUri, scope: 'file:read', state: 's1', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
        const browser = new Browser(t.url);
        const page = await browser.follow(`/oauth/auth?${params}`);
        const form = formOf(page.text);
        return browser.request(form.action, { form: { ...form.fields, login, password: pw } });
      };
      const expired = await signIn('alice-oauthexp', password('oauthexp'));
      expect(expired.status).toBe(401);
      expect(expired.text).toContain('This login has expired.');
      const far = await signIn('alice-oauthfar', password('oauthfar'));
      expect(far.status).toBe(403);
      expect(far.text).toContain('may not be used from your address');
      const wrong = await signIn('alice-oauthexp', 'wrong-password-1');
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('The login or password is wrong.');
      expect(wrong.text).not.toContain('expired');
    });
  });

  describe('API keys', () => {
    const withKey = (key: string) => t.client().get('/api/whoami', { basic: ['alice-plain', password('plain')], headers: { 'x-api-key': key } });
    const limitKey = (body: Record<string, unknown>) => app.developer.request('PATCH', `/api/apps/${app.id}/key`, { json: body });

    it('the developer limits the key; a recognised key outside its limits is refused, expiry first', async () => {
      expect((await withKey(app.key)).status).toBe(200);
      const ranged = await limitKey({ allowedRanges: ELSEWHERE });
      expect(ranged.status, ranged.text).toBe(200);
      expect(ranged.body).toMatchObject({ allowedRanges: ELSEWHERE, expiresAt: null });
      expectRefused(await withKey(app.key), 'address_not_allowed');
      // Expiry is decided before the address.
      expect((await limitKey({ expiresAt: past() })).status).toBe(200);
      const expired = await withKey(app.key);
      expectRefused(expired, 'credential_expired');
      expect(expired.headers.get('www-authenticate')).toContain('ApiKey realm=');
      expect((await limitKey({ expiresAt: future(), allowedRanges: HERE })).status).toBe(200);
      expect((await withKey(app.key)).status).toBe(200);
      const shown = await app.developer.get(`/api/apps/${app.id}`);
      expect(shown.body.key).toMatchObject({ allowedRanges: HERE });
      expect(shown.body.key.expiresAt).not.toBeNull();
      // An unknown key is still api_key_invalid.
      expect((await withKey('0'.repeat(32))).body.code).toBe('api_key_invalid');
    });

    it('a rotated key keeps the limits unless the rotation sends others; the first key can be issued limited', async () => {
      expect((await limitKey({ allowedRanges: ELSEWHERE, expiresAt: null })).status).toBe(200);
      const rotated = await app.developer.post(`/api/apps/${app.id}/key/rotate`);
      expect(rotated.status, rotated.text).toBe(200);
      expect(rotated.body).toMatchObject({ allowedRanges: ELSEWHERE, expiresAt: null });
      expectRefused(await withKey(rotated.body.key), 'address_not_allowed');
      const again = await app.developer.post(`/api/apps/${app.id}/key/rotate`, { json: { allowedRanges: null, expiresAt: past() } });
      expect(again.body).toMatchObject({ allowedRanges: null });
      expectRefused(await withKey(again.body.key), 'credential_expired');
      const last = await app.developer.post(`/api/apps/${app.id}/key/rotate`, { json: { expiresAt: null } });
      expect((await withKey(last.body.key)).status).toBe(200);
      app.key = last.body.key;

      const other = await app.developer.post('/api/apps', { json: { name: 'Limited from the start' } });
      expect((await admin.post(`/api/admin/apps/${other.body.id}/approve`)).status).toBe(200);
      const issued = await app.developer.post(`/api/apps/${other.body.id}/key`, { json: { allowedRanges: ELSEWHERE } });
      expect(issued.status, issued.text).toBe(201);
      expect(issued.body.allowedRanges).toEqual(ELSEWHERE);
      expectRefused(await withKey(issued.body.key), 'address_not_allowed');
    });

    it('refuses bad key limits with 400 validation_failed naming the entry, and changes nothing', async () => {
      const before = (await app.developer.get(`/api/apps/${app.id}`)).body.key;
      const bad = await limitKey({ allowedRanges: ['127.0.0.1', 'home'] });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'validation_failed' });
      expect(bad.body.message).toContain('home');
      expect((await limitKey({ expiresAt: 'soon' })).body.code).toBe('validation_failed');
      const badRotate = await app.developer.post(`/api/apps/${app.id}/key/rotate`, { json: { allowedRanges: ['nope'] } });
      expect(badRotate.status).toBe(400);
      expect((await app.developer.get(`/api/apps/${app.id}`)).body.key).toEqual(before);
      expect((await withKey(app.key)).status).toBe(200);
    });
  });

  describe('pages', () => {
    it('MyPage shows and edits a sublogin\'s expiry and addresses; a bad entry is shown back, nothing changes', async () => {
      const c = new PageClient(t.url);
      await c.signIn('alice', 'alice-login-password');
      await c.get('/mypage/sublogins');
      const created = await c.post('/mypage/sublogins', { name: 'paged', password: password('paged'), expiresAt: '2099-05-06T07:08', allowedRanges: '127.0.0.1\n10.0.0.0/8' });
      expect([201, 303], created.text.slice(0, 300)).toContain(created.status);
      expect(await listed('paged')).toMatchObject({ expiresAt: '2099-05-06T07:08:00.000Z', allowedRanges: ['127.0.0.1/32', '10.0.0.0/8'] });
      const list = await c.get('/mypage/sublogins');
      expect(list.text).toContain('<code>10.0.0.0/8</code>');
      const page = await c.get('/mypage/sublogins/paged');
      expect(page.text).toContain('value="2099-05-06T07:08"');
      expect(page.text).toMatch(/<textarea id="ranges"[^>]*>127\.0\.0\.1\/32\n10\.0\.0\.0\/8</);

      const bad = await c.post('/mypage/sublogins/paged/limits', { expiresAt: '', allowedRanges: '127.0.0.1, lan' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('lan');
      expect(await listed('paged')).toMatchObject({ allowedRanges: ['127.0.0.1/32', '10.0.0.0/8'] });

      await c.get('/mypage/sublogins/paged');
      const saved = await c.post('/mypage/sublogins/paged/limits', { expiresAt: '', allowedRanges: '10.0.0.0/8' });
      expect(saved.status).toBe(303);
      expect(await listed('paged')).toMatchObject({ expiresAt: null, allowedRanges: ['10.0.0.0/8'] });
      expectRefused(await basic('paged'), 'address_not_allowed');
    });

    it('the developer page shows and edits the key\'s limits', async () => {
      const c = new PageClient(t.url);
      const dev = (await app.developer.get('/api/whoami')).body.login as string;
      await c.signIn(dev, `${dev}-password`);
      const page = await c.get(`/developer/apps/${app.id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('id="key-limits-summary"');
      const bad = await c.post(`/developer/apps/${app.id}/key/limits`, { allowedRanges: 'somewhere' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('somewhere');
      await c.get(`/developer/apps/${app.id}`);
      const saved = await c.post(`/developer/apps/${app.id}/key/limits`, { expiresAt: '2099-01-01T00:00', allowedRanges: '127.0.0.0/8' });
      expect(saved.status).toBe(303);
      const shown = await c.get(`/developer/apps/${app.id}`);
      expect(shown.text).toContain('<code>127.0.0.0/8</code>');
      expect((await app.developer.get(`/api/apps/${app.id}`)).body.key).toMatchObject({ expiresAt: '2099-01-01T00:00:00.000Z', allowedRanges: ['127.0.0.0/8'] });
      // Back to none: the rest of the suite uses the key from anywhere.
      await c.post(`/developer/apps/${app.id}/key/limits`, {});
      expect((await app.developer.get(`/api/apps/${app.id}`)).body.key).toMatchObject({ expiresAt: null, allowedRanges: null });
    });
  });

  describe('no escalation through limits (contract §7.4)', () => {
    // The manager: may manage sublogins; usable for a day, from 127.0.0.0/8.
    let mgrExpiry: string;
    const asMgr = (path: string, json: Record<string, unknown>) => t.client().post(path, { json, basic: ['alice-mgr', password('mgr')], headers: { 'x-api-key': app.key } });
    const expectEscalation = (res: HttpResponse, details: Record<string, unknown>) => {
      expect(res.status, res.text).toBe(403);
      expect(res.body.code).toBe('sublogin_escalation');
      expect(res.body.details).toEqual(details);
    };

    beforeAll(async () => {
      mgrExpiry = future(24);
      await create('mgr', { rules: [{ path: '/sublogin/', effect: 'allow' }], expiresAt: mgrExpiry, allowedRanges: HERE });
      await create('free'); // within mgr's rules (none), but with no limits
    });

    it('a limited sublogin cannot give a later or no expiry, nor ranges outside its own; nothing is created', async () => {
      expectEscalation(await asMgr('/api/sublogin/create', { name: 'c1', password: password('c1'), allowedRanges: ['127.0.0.1'] }), { limit: 'expiresAt' });
      expectEscalation(await asMgr('/api/sublogin/create', { name: 'c1', password: password('c1'), expiresAt: future(48), allowedRanges: ['127.0.0.1'] }), { limit: 'expiresAt' });
      expectEscalation(await asMgr('/api/sublogin/create', { name: 'c1', password: password('c1'), expiresAt: future(1) }), { limit: 'allowedRanges' });
      expectEscalation(await asMgr('/api/sublogin/create', { name: 'c1', password: password('c1'), expiresAt: future(1), allowedRanges: ['127.0.0.1', '10.0.0.0/8'] }), {
        limit: 'allowedRanges',
        range: '10.0.0.0/8',
      });
      expectEscalation(await asMgr('/api/sublogin/create', { name: 'c1', password: password('c1'), expiresAt: future(1), allowedRanges: ['0.0.0.0/0'] }), { limit: 'allowedRanges', range: '0.0.0.0/0' });
      expect(await listed('c1')).toBeUndefined();
    });

    it('gives limits within its own, and cannot widen them afterwards', async () => {
      const ok = await asMgr('/api/sublogin/create', { name: 'c2', password: password('c2'), expiresAt: mgrExpiry, allowedRanges: ['127.0.0.1'] });
      expect(ok.status, ok.text).toBe(201);
      expect(ok.body).toMatchObject({ allowedRanges: ['127.0.0.1/32'] });
      expectEscalation(await asMgr('/api/sublogin/update', { name: 'c2', expiresAt: null }), { limit: 'expiresAt' });
      expectEscalation(await asMgr('/api/sublogin/update', { name: 'c2', allowedRanges: null }), { limit: 'allowedRanges' });
      expect(await listed('c2')).toMatchObject({ allowedRanges: ['127.0.0.1/32'] });
      // Narrowing is fine.
      expect((await asMgr('/api/sublogin/update', { name: 'c2', expiresAt: future(1) })).status).toBe(200);
    });

    it('cannot set the password of (so use) a sublogin with wider limits than its own', async () => {
      expectEscalation(await asMgr('/api/sublogin/update', { name: 'free', password: 'taken-over-1' }), { limit: 'expiresAt' });
      expect((await basic('free')).status).toBe(200);
    });
  });
});

describe('credential limits behind a trusted proxy (TRUST_PROXY)', () => {
  let t: Started;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
    const admin = await t.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'bob', password: 'bob-login-password', email: 'bob@example.com' } })).status).toBe(201);
    const bob = t.client();
    await bob.login('bob', 'bob-login-password');
    for (const [name, ranges] of [['office', ['203.0.113.0/24']], ['local', ['127.0.0.0/8']]] as const) {
      expect((await bob.post('/api/sublogin/create', { json: { name, password: `${name}-password-1`, allowedRanges: ranges } })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  const viaProxy = (name: string) =>
    rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basicHeader(`bob-${name}`, `${name}-password-1`), 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });

  it('decides on the client address the trusted proxy forwarded, not the proxy\'s', async () => {
    expect((await viaProxy('office')).status).toBe(200);
    expectRefused(await viaProxy('local'), 'address_not_allowed');
  });
});
