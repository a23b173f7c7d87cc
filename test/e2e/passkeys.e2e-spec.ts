import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsService } from '../../src/accounts/accounts.service.js';
import { AuditService } from '../../src/audit/audit.service.js';
import type { HttpClient } from '../support/http-client.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { hiddenField, PageClient } from '../support/web-pages.js';

const PUBLIC_URL = 'https://storage.example.com';
const PASSWORD = 'carol-login-password';

/**
 * Passkeys over HTTP (contract §4.9), with a software authenticator standing in for the browser:
 * the rules a browser test cannot bend — a foreign challenge, origin or RP id, a replay, a session
 * that is needed, a recent second factor for removal. Chromium's own authenticator is in
 * test/browser/passkeys.browser-spec.ts.
 */
describe('passkeys', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  let carol: PageClient;
  /** dave's session from before he had a passkey (complete). */
  let dave: PageClient;
  const phone = new SoftAuthenticator(PUBLIC_URL);

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL });
    admin = await t.admin();
    for (const login of ['carol', 'dave']) {
      const res = await admin.post('/api/admin/accounts', { json: { login, password: PASSWORD, email: `${login}@example.com` } });
      expect(res.status).toBe(201);
    }
    carol = new PageClient(t.url);
    await carol.signIn('carol', PASSWORD);
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Registration options for the page client's session (the script's request). */
  async function registrationOptions(c: PageClient) {
    await c.get('/mypage/passkeys');
    return c.http.post('/mypage/passkeys/options', { json: {}, headers: { 'x-csrf-token': c.csrf! } });
  }

  async function audit(type: string, login?: string) {
    await t.app.get(AuditService).flush();
    const res = await admin.get(`/api/admin/audit?type=${type}${login ? `&login=${login}` : ''}`);
    return res.body as { outcome: string; code: string | null; detail: Record<string, unknown> | null }[];
  }

  /** A fresh sign-in page's token and a passkey sign-in's options bound to it. */
  async function signInAttempt(c: HttpClient) {
    const page = await c.get('/sign-in');
    const options = await c.post('/sign-in/passkey/options', { json: {} });
    expect(options.status).toBe(200);
    return { signin: hiddenField(page.text, '_signin'), options: options.body };
  }

  it('hands out registration options only to a session, with its CSRF token', async () => {
    expect((await t.client().post('/mypage/passkeys/options', { json: {} })).status).toBe(401);
    await carol.get('/mypage/passkeys');
    const noCsrf = await carol.http.post('/mypage/passkeys/options', { json: {} });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.code).toBe('csrf_failed');
    const res = await registrationOptions(carol);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rp: { id: 'storage.example.com' }, user: { name: 'carol' }, attestation: 'none', authenticatorSelection: { residentKey: 'required' } });
    expect(res.body.excludeCredentials).toEqual([]);
  });

  it('refuses a registration answer for another session\'s challenge, another origin or RP id, and stores nothing', async () => {
    const daveNow = new PageClient(t.url);
    await daveNow.signIn('dave', PASSWORD);
    const davesChallenge = (await registrationOptions(daveNow)).body.challenge as string;
    const options = (await registrationOptions(carol)).body;
    const attempts = [
      phone.register(options, { challenge: davesChallenge }),
      phone.register(options, { origin: 'https://storage.example.com.evil.example' }),
      phone.register(options, { origin: 'http://storage.example.com' }),
      phone.register(options, { rpId: 'evil.example' }),
      phone.register(options, { type: 'webauthn.get' }),
      'not json',
    ];
    for (const response of attempts) {
      const res = await carol.post('/mypage/passkeys', { name: 'Phone', response: typeof response === 'string' ? response : JSON.stringify(response) });
      expect(res.status).toBe(400);
      expect(res.text).toContain('The passkey was not added');
    }
    expect(Number((await t.app.get(DataSource).query('SELECT COUNT(*) AS n FROM passkeys'))[0].n)).toBe(0);
    const failures = await audit('passkey.register', 'carol');
    expect(failures.filter((e) => e.outcome === 'failure' && e.code === 'passkey_refused')).toHaveLength(attempts.length);
  });

  it('registers a passkey (the first second factor: recovery codes shown once) and accepts its challenge once', async () => {
    const options = (await registrationOptions(carol)).body;
    const response = JSON.stringify(phone.register(options));
    const res = await carol.post('/mypage/passkeys', { name: '  Carol’s phone ', response });
    expect(res.status).toBe(200);
    expect(res.text).toContain('The passkey “Carol’s phone” was added.');
    expect(res.text).toContain('id="recovery-codes"');
    expect(res.text).toMatch(/<td><strong>Carol’s phone<\/strong><\/td>/);
    // The same answer again: its challenge was used.
    const again = await carol.post('/mypage/passkeys', { name: 'Again', response });
    expect(again.status).toBe(400);
    expect(again.text).toContain('already');
    const events = await audit('passkey.register', 'carol');
    expect(events.filter((e) => e.outcome === 'success')).toHaveLength(1);
    // The account now has a second factor.
    const rows = await t.app.get(DataSource).query(`SELECT name, counter, transports, device_type FROM passkeys WHERE credential_id = '${phone.id}'`);
    expect(rows).toEqual([{ name: 'Carol’s phone', counter: expect.anything(), transports: 'internal', device_type: 'singleDevice' }]);
  });

  it('signs in with the passkey alone: a complete session, the challenge bound to the sign-in page and used once', async () => {
    const browser = t.client();
    const { signin, options } = await signInAttempt(browser);
    expect(options).toMatchObject({ rpId: 'storage.example.com', userVerification: 'required', allowCredentials: [] });
    const response = JSON.stringify(phone.assert(options));
    const res = await browser.post('/sign-in/passkey', { form: { _signin: signin, next: '/mypage/passkeys', response } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/mypage/passkeys');
    const page = await browser.get('/mypage/passkeys');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in as <strong>carol</strong>');

    // The same assertion again, from a new sign-in page: refused (another attempt's challenge, and used).
    const replay = t.client();
    const second = await signInAttempt(replay);
    const refused = await replay.post('/sign-in/passkey', { form: { _signin: second.signin, next: '/mypage', response } });
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('The passkey was not accepted');
    expect(refused.headers.getSetCookie().some((c) => c.startsWith('portcullis_session='))).toBe(false);
  });

  it('refuses a passkey sign-in without the sign-in page\'s token, from another origin, without user verification, or unknown', async () => {
    const c = t.client();
    let a = await signInAttempt(c);
    expect((await c.post('/sign-in/passkey', { form: { _signin: 'forged', response: JSON.stringify(phone.assert(a.options)) } })).status).toBe(403);
    a = await signInAttempt(c);
    expect((await c.post('/sign-in/passkey', { form: { _signin: a.signin, response: JSON.stringify(phone.assert(a.options, { origin: 'https://evil.example' })) } })).status).toBe(401);
    a = await signInAttempt(c);
    expect((await c.post('/sign-in/passkey', { form: { _signin: a.signin, response: JSON.stringify(phone.assert(a.options, { userVerified: false })) } })).status).toBe(401);
    a = await signInAttempt(c);
    const stranger = new SoftAuthenticator(PUBLIC_URL);
    expect((await c.post('/sign-in/passkey', { form: { _signin: a.signin, response: JSON.stringify(stranger.assert(a.options)) } })).status).toBe(401);
    // A cloned authenticator: its counter went backwards.
    a = await signInAttempt(c);
    expect((await c.post('/sign-in/passkey', { form: { _signin: a.signin, response: JSON.stringify(phone.assert(a.options, { counter: 1 })) } })).status).toBe(401);
    // The options need the sign-in page first (the challenge is bound to its token).
    expect((await t.client().post('/sign-in/passkey/options', { json: {} })).status).toBe(403);
    const failures = (await audit('passkey.use')).filter((e) => e.outcome === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(failures.every((e) => e.code === 'invalid_credentials')).toBe(true);
  });

  it('takes the passkey as the second factor after the password', async () => {
    const c = new PageClient(t.url);
    const signedIn = await c.signIn('carol', PASSWORD, '/mypage/passkeys');
    // The password alone leaves the session waiting for its second factor.
    expect(signedIn.headers.get('location')).not.toBe('/mypage/passkeys');
    expect((await c.http.get('/mypage/passkeys')).status).not.toBe(200);
    const csrf = (c.http as unknown as { cookies: Map<string, string> }).cookies.get('portcullis_csrf')!;
    const options = await c.http.post('/sign-in/passkey/second-factor/options', { json: {}, headers: { 'x-csrf-token': csrf } });
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials).toEqual([expect.objectContaining({ id: phone.id })]);
    // A passkey that is not carol's is no second factor of hers.
    const stranger = new SoftAuthenticator(PUBLIC_URL);
    const refused = await c.http.post('/sign-in/passkey/second-factor', { form: { _csrf: csrf, next: '/mypage/passkeys', response: JSON.stringify(stranger.assert(options.body)) } });
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('The passkey was not accepted');
    expect(refused.text).toContain('Use a passkey');
    const res = await c.http.post('/sign-in/passkey/second-factor', { form: { _csrf: csrf, next: '/mypage/passkeys', response: JSON.stringify(phone.assert(options.body)) } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/mypage/passkeys');
    expect((await c.get('/mypage/passkeys')).status).toBe(200);
    const uses = (await audit('passkey.use', 'carol')).filter((e) => e.outcome === 'success');
    expect(uses.map((e) => e.detail?.as)).toContain('second-factor');
  });

  it('accepts an assertion once, also from an authenticator that keeps no counter, and never another account\'s passkey', async () => {
    // dave's security key reports no signature counter (0 every time), as synced passkeys do.
    const key = new SoftAuthenticator(PUBLIC_URL);
    dave = new PageClient(t.url);
    await dave.signIn('dave', PASSWORD);
    const options = (await registrationOptions(dave)).body;
    expect((await dave.post('/mypage/passkeys', { name: 'Key', response: JSON.stringify(key.register(options)) })).status).toBe(200);

    const again = new PageClient(t.url);
    await again.signIn('dave', PASSWORD);
    const csrf = (again.http as unknown as { cookies: Map<string, string> }).cookies.get('portcullis_csrf')!;
    const sfOptions = (await again.http.post('/sign-in/passkey/second-factor/options', { json: {}, headers: { 'x-csrf-token': csrf } })).body;
    const response = JSON.stringify(key.assert(sfOptions, { counter: 0 }));
    const first = await again.http.post('/sign-in/passkey/second-factor', { form: { _csrf: csrf, next: '/mypage', response } });
    expect(first.status).toBe(303);
    // The same answer again, for the same session (now complete, re-verifying): its challenge was used.
    const replay = await again.http.post('/sign-in/passkey/second-factor', { form: { _csrf: csrf, next: '/mypage', response } });
    expect(replay.status).toBe(401);

    // dave's key, registered, is still no second factor of carol's.
    const c = new PageClient(t.url);
    await c.signIn('carol', PASSWORD);
    const carolCsrf = (c.http as unknown as { cookies: Map<string, string> }).cookies.get('portcullis_csrf')!;
    const carolOptions = (await c.http.post('/sign-in/passkey/second-factor/options', { json: {}, headers: { 'x-csrf-token': carolCsrf } })).body;
    const foreign = await c.http.post('/sign-in/passkey/second-factor', { form: { _csrf: carolCsrf, next: '/mypage', response: JSON.stringify(key.assert(carolOptions, { counter: 0 })) } });
    expect(foreign.status).toBe(401);
    expect((await c.http.get('/mypage/passkeys')).status).not.toBe(200);
  });

  it('renames a passkey (1–64 characters), and never another account\'s', async () => {
    const page = await carol.get('/mypage/passkeys');
    const id = /action="\/mypage\/passkeys\/([0-9a-f-]{36})\/rename"/.exec(page.text)![1]!;
    expect((await carol.post(`/mypage/passkeys/${id}/rename`, { name: 'x'.repeat(65) })).status).toBe(400);
    const ok = await carol.post(`/mypage/passkeys/${id}/rename`, { name: 'Phone' });
    expect(ok.status).toBe(303);
    expect((await carol.get('/mypage/passkeys')).text).toContain('<strong>Phone</strong>');
    await dave.get('/mypage/passkeys');
    expect((await dave.post(`/mypage/passkeys/${id}/rename`, { name: 'Mine now' })).status).toBe(404);
    expect((await dave.post(`/mypage/passkeys/${id}/remove`)).status).toBe(404);
  });

  it('needs a second factor within 10 minutes to add or remove a passkey', async () => {
    const ds = t.app.get(DataSource);
    const [{ id: accountId }] = await ds.query("SELECT id FROM accounts WHERE login = 'carol'");
    await ds.query(`UPDATE sessions SET second_factor_at = ${Date.now() - 11 * 60_000} WHERE account_id = '${accountId}'`);
    const page = await carol.get('/mypage/passkeys');
    const id = /action="\/mypage\/passkeys\/([0-9a-f-]{36})\/remove"/.exec(page.text)![1]!;
    // The page asks for the second factor again (and comes back to the page that held the form).
    const stale = await carol.http.post(`/mypage/passkeys/${id}/remove`, { form: { _csrf: carol.csrf! }, headers: { referer: `${t.url}/mypage/passkeys` } });
    expect(stale.status).toBe(303);
    expect(stale.headers.get('location')).toBe('/sign-in/second-factor?next=%2Fmypage%2Fpasskeys');
    expect((await carol.get('/mypage/passkeys')).text).toContain(`/mypage/passkeys/${id}/remove`);
    const options = await carol.http.post('/mypage/passkeys/options', { json: {}, headers: { 'x-csrf-token': carol.csrf! } });
    expect(options.status).toBe(403);
    expect(options.body.code).toBe('recent_second_factor_required');

    // The passkey again (as the second factor of this session), then removal is allowed.
    const again = await carol.http.post('/sign-in/passkey/second-factor/options', { json: {}, headers: { 'x-csrf-token': carol.csrf! } });
    const verified = await carol.post('/sign-in/passkey/second-factor', { next: '/mypage/passkeys', response: JSON.stringify(phone.assert(again.body)) });
    expect(verified.status).toBe(303);
    await carol.get('/mypage/passkeys');
    const removed = await carol.post(`/mypage/passkeys/${id}/remove`);
    expect(removed.status).toBe(303);
    expect((await carol.get('/mypage/passkeys?done=removed')).text).toContain('The passkey was removed');
    expect((await audit('passkey.remove', 'carol')).filter((e) => e.outcome === 'success')).toHaveLength(1);

    // Gone: it signs in nowhere.
    const c = t.client();
    const a = await signInAttempt(c);
    expect((await c.post('/sign-in/passkey', { form: { _signin: a.signin, response: JSON.stringify(phone.assert(a.options)) } })).status).toBe(401);
  });
});

describe('passkeys: enrolment an account must make (REQUIRE_2FA)', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL, REQUIRE_2FA: 'true' });
    // The operator must enrol too before the admin API takes its session: made directly.
    await t.app.get(AccountsService).create({ login: 'gina', password: PASSWORD, email: 'gina@example.com' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lets an account that must have a second factor enrol a passkey right after its password, which completes the session', async () => {
    const gina = new PageClient(t.url);
    await gina.signIn('gina', PASSWORD);
    // Only the enrolment pages take the session yet.
    expect((await gina.http.get('/mypage')).headers.get('location')).toBe('/mypage/two-factor');
    expect((await gina.get('/mypage/passkeys')).status).toBe(200);
    // Nothing to give yet, so no recent second factor is asked for.
    const options = await gina.http.post('/mypage/passkeys/options', { json: {}, headers: { 'x-csrf-token': gina.csrf! } });
    expect(options.status).toBe(200);
    const key = new SoftAuthenticator(PUBLIC_URL);
    const added = await gina.post('/mypage/passkeys', { name: 'Phone', response: JSON.stringify(key.register(options.body)) });
    expect(added.status).toBe(200);
    expect(added.text).toContain('id="recovery-codes"');
    expect((await gina.http.get('/mypage')).status).toBe(200);
    // Her only second factor, required: not removed.
    const id = /action="\/mypage\/passkeys\/([0-9a-f-]{36})\/remove"/.exec((await gina.get('/mypage/passkeys')).text)![1]!;
    const refused = await gina.post(`/mypage/passkeys/${id}/remove`);
    expect(refused.status).toBe(409);
  });
});
