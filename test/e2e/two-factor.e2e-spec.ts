import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/auth/session.entity.js';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import { AuditEvent } from '../../src/audit/audit-event.entity.js';
import { AuditService } from '../../src/audit/audit.service.js';
import { RecoveryCode } from '../../src/two-factor/recovery-code.entity.js';
import { TotpEnrolment } from '../../src/two-factor/totp-enrolment.entity.js';
import { approvedApplication, type TestApplication } from '../support/api-key.js';
import { HttpClient } from '../support/http-client.js';
import { Browser, formOf, oauthApplication, pkcePair, REDIRECT_URI } from '../support/oauth.js';
import { rawRequest } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { TotpCodes } from '../support/totp.js';
import { hiddenField, PageClient } from '../support/web-pages.js';

type App = TestApp & { env: TestEnv; stop(): Promise<void> };

const codes = new TotpCodes();
const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
const now = () => Math.floor(Date.now() / 1000);

/** A legacy account (registered before the cutoff: Basic takes its login password) or a modern one. */
async function account(admin: HttpClient, login: string, legacy = false): Promise<void> {
  const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-password`, email: `${login}@example.com`, ...(legacy ? { registeredAt: '2020-01-01T00:00:00Z' } : {}) } });
  expect(res.status, res.text).toBe(201);
}

/** Signs in with the password and sets up TOTP through the API; answers the secret and what confirming returned. */
async function enrol(t: App, login: string): Promise<{ client: HttpClient; secret: string; recoveryCodes: string[]; appPassword?: string }> {
  const client = t.client();
  const signIn = await client.login(login, `${login}-password`);
  expect(signIn.status).toBe(200);
  const setup = await client.post('/api/me/two-factor/totp');
  expect(setup.status, setup.text).toBe(200);
  const confirmed = await client.post('/api/me/two-factor/totp/confirm', { json: { code: await codes.fresh(setup.body.secret) } });
  expect(confirmed.status, confirmed.text).toBe(200);
  return { client, secret: setup.body.secret, recoveryCodes: confirmed.body.recoveryCodes, appPassword: confirmed.body.appPassword };
}

/** `POST /auth/login` with the password: a pending session. */
async function passwordOnly(t: App, login: string): Promise<{ client: HttpClient; body: any }> {
  const client = t.client();
  const res = await client.login(login, `${login}-password`);
  expect(res.status, res.text).toBe(200);
  return { client, body: res.body };
}

describe('two-factor sign-in: TOTP, recovery codes, no back door, recent second factor', () => {
  let t: App;
  let admin: HttpClient;
  let ds: DataSource;

  beforeAll(async () => {
    // Few failures before 429, no real delays: the throttle is seen within a test.
    t = await startTestApp({ THROTTLE_FREE_FAILURES: '2', THROTTLE_BASE_DELAY_MS: '1', THROTTLE_MAX_DELAY_MS: '2', THROTTLE_LOGIN_SUBNET_MAX: '6', OTP_MAX_TTL: '600' });
    admin = await t.admin();
    ds = t.app.get(DataSource);
    for (const [login, legacy] of [['alice', true], ['bob', false], ['carol', false], ['dave', false], ['erin', true], ['frank', false], ['grace', false], ['mallory', false]] as const) await account(admin, login, legacy);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('enrols: a pending authenticator with a server-drawn QR code, confirmed by a code; ten recovery codes; the secret stored sealed', async () => {
    const client = t.client();
    await client.login('bob', 'bob-password');
    expect((await client.get('/api/me/two-factor')).body).toMatchObject({ enabled: false, required: false, totp: 'none', recoveryCodesLeft: 0 });
    const setup = await client.post('/api/me/two-factor/totp');
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.uri).toMatch(/^otpauth:\/\/totp\/.*bob\?.*secret=/);
    expect(setup.body.qrSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect((await client.get('/api/me/two-factor')).body).toMatchObject({ enabled: false, totp: 'pending' });
    const row = await ds.getRepository(TotpEnrolment).findOneByOrFail({ accountId: (await ds.query(`SELECT id FROM accounts WHERE login = 'bob'`))[0].id });
    expect(row.secretBox).not.toContain(setup.body.secret);
    // Pending is no second factor: sign-in still needs the password only.
    expect((await t.client().login('bob', 'bob-password')).body.secondFactorRequired).toBeUndefined();

    const wrong = await client.post('/api/me/two-factor/totp/confirm', { json: { code: TotpCodes.at(setup.body.secret, 5) } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    const confirmed = await client.post('/api/me/two-factor/totp/confirm', { json: { code: await codes.fresh(setup.body.secret) } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
    for (const c of confirmed.body.recoveryCodes) expect(c).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    // Not legacy: no app connection to reissue.
    expect(confirmed.body.appPassword).toBeUndefined();
    expect((await client.get('/api/me/two-factor')).body).toMatchObject({ enabled: true, totp: 'confirmed', recoveryCodesLeft: 10 });
    const stored = await ds.getRepository(RecoveryCode).find();
    for (const c of confirmed.body.recoveryCodes as string[]) expect(stored.some((r) => r.codeHash.includes(c) || r.codeHash === c)).toBe(false);
    // A second set-up while one is on is refused.
    expect((await client.post('/api/me/two-factor/totp')).body.code).toBe('conflict');
  });

  it('sign-in needs the code: the pending session is refused everywhere else; a wrong code is refused, the right one completes it', async () => {
    const { secret } = await enrol(t, 'carol');
    const { client, body } = await passwordOnly(t, 'carol');
    expect(body).toMatchObject({ login: 'carol', secondFactorRequired: true, methods: expect.arrayContaining(['totp', 'recovery']) });
    for (const [method, path] of [['GET', '/api/me'], ['GET', '/api/whoami'], ['GET', '/api/me/two-factor'], ['POST', '/api/me/app-connection/enable']] as const) {
      const res = await client.request(method, path);
      expect(res.status, path).toBe(401);
      expect(res.body.code, path).toBe('second_factor_required');
      expect(res.headers.get('www-authenticate'), path).toBeTruthy();
    }
    const wrong = await client.post('/auth/login/second-factor', { json: { code: TotpCodes.at(secret, 4) } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    const code = await codes.fresh(secret);
    const ok = await client.post('/auth/login/second-factor', { json: { code } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ login: 'carol', factors: ['password', 'totp'], factor: 'totp' });
    expect((await client.get('/api/me')).status).toBe(200);

    // The same code again, in another sign-in within its window: refused.
    const second = await passwordOnly(t, 'carol');
    const replay = await second.client.post('/auth/login/second-factor', { json: { code } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_credentials');
    expect((await second.client.get('/api/me')).body.code).toBe('second_factor_required');
  });

  it('a recovery code works once, in place of a code', async () => {
    const { recoveryCodes } = await enrol(t, 'dave');
    const first = await passwordOnly(t, 'dave');
    const used = await first.client.post('/auth/login/second-factor', { json: { code: recoveryCodes[3]!.toUpperCase().replaceAll('-', ' ') } });
    expect(used.status, used.text).toBe(200);
    expect(used.body).toMatchObject({ factor: 'recovery', factors: ['password', 'recovery'], recoveryCodesLeft: 9 });
    const again = await passwordOnly(t, 'dave');
    const refused = await again.client.post('/auth/login/second-factor', { json: { code: recoveryCodes[3] } });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_credentials');
    // Another one still works.
    expect((await again.client.post('/auth/login/second-factor', { json: { code: recoveryCodes[4] } })).status).toBe(200);
  });

  it('wrong codes are throttled like passwords (per login): 429 with Retry-After', async () => {
    const { secret } = await enrol(t, 'frank');
    const { client } = await passwordOnly(t, 'frank');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      // Distinct wrong codes: the same wrong code repeated would count once.
      const res = await client.post('/auth/login/second-factor', { json: { code: String(100000 + i * 7919) } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body.code).toBe('too_many_requests');
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        break;
      }
    }
    expect(statuses.at(-1)).toBe(429);
    // Even the right code waits now.
    expect((await client.post('/auth/login/second-factor', { json: { code: TotpCodes.at(secret, 0) } })).status).toBe(429);
  });

  it('no back door: a legacy account that turns TOTP on has its connection reissued; Basic and OTP refuse its login password', async () => {
    // Before: the login password works for Basic and OTP (legacy).
    expect((await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basic('alice', 'alice-password') } })).status).toBe(200);
    const { appPassword } = await enrol(t, 'alice');
    expect(appPassword).toMatch(/^[a-z0-9-]{20,}$/);
    const viaBasic = await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basic('alice', 'alice-password') } });
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.body.code).toBe('invalid_credentials');
    const viaOtp = await rawRequest(`${t.url}/api/whoami?otp=${encodeURIComponent(makeOtp('alice', 'alice-password', now() + 60, `s${Date.now()}`))}`);
    expect(viaOtp.status).toBe(401);
    // The app password (a program's way in) works, with no second factor.
    const withApp = await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basic('alice', appPassword!) } });
    expect(withApp.status).toBe(200);
    // Audit records are buffered (written every 250 ms): write them before reading the table.
    await t.app.get(AuditService).flush();
    expect((await ds.getRepository(AuditEvent).findBy({ type: 'app_connection.reissue', login: 'alice' })).length).toBeGreaterThan(0);
  });

  it('sublogins are unaffected: a sublogin of an account with a second factor signs in with Basic and its own password', async () => {
    const { client } = await enrol(t, 'mallory');
    expect((await client.post('/api/sublogin/create', { json: { name: 'sync', password: 'sync-password-1' } })).status).toBe(201);
    const res = await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basic('mallory-sync', 'sync-password-1') } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ login: 'mallory-sync' });
  });

  it('the enrolment page says so before confirming a legacy account, and shows the new app password once after', async () => {
    const page = new PageClient(t.url);
    await page.signIn('erin', 'erin-password');
    const before = await page.get('/mypage/two-factor');
    expect(before.status).toBe(200);
    expect(before.text).toContain('Set up an authenticator app');
    const begun = await page.post('/mypage/two-factor/totp', {});
    expect(begun.status).toBe(200);
    expect(begun.text).toContain('<svg');
    expect(begun.text).toMatch(/Confirming turns that off: your app connection is reissued/);
    const secret = begun.text.match(/id="totp-secret">([A-Z2-7 ]+)</)![1]!.replaceAll(' ', '');
    const done = await page.post('/mypage/two-factor/totp/confirm', { code: await codes.fresh(secret) });
    expect(done.status, done.text.slice(0, 500)).toBe(200);
    expect(done.text).toContain('id="recovery-codes"');
    expect(done.text).toContain('id="new-app-password"');
    expect((await rawRequest(`${t.url}/api/whoami`, { headers: { authorization: basic('erin', 'erin-password') } })).status).toBe(401);

    // Signing in on the pages now leads to the code form, which comes back to `next`.
    const later = new PageClient(t.url);
    const res = await later.signIn('erin', 'erin-password', '/mypage/security');
    expect(res.headers.get('location')).toBe(`/sign-in/second-factor?next=${encodeURIComponent('/mypage/security')}`);
    const elsewhere = await later.http.get('/mypage');
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.get('location')).toMatch(/^\/sign-in\/second-factor\?next=/);
    const form = await later.get('/sign-in/second-factor?next=%2Fmypage%2Fsecurity');
    expect(form.status).toBe(200);
    expect(form.text).toContain('autocomplete="one-time-code"');
    const wrong = await later.post('/sign-in/second-factor', { code: '000000', next: '/mypage/security' });
    expect(wrong.status).toBe(401);
    const ok = await later.post('/sign-in/second-factor', { code: await codes.fresh(secret), next: hiddenField(form.text, 'next') });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/mypage/security');
    expect((await later.http.get('/mypage')).status).toBe(200);
  });

  it('the OAuth sign-in asks for the code after the password, and a code completes it', async () => {
    const { secret } = await enrol(t, 'grace');
    const client = await oauthApplication(t, 'Second factor client');
    const browser = new Browser(t.url);
    const pkce = pkcePair();
    const params = new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: REDIRECT_URI, scope: 'file:read', state: 'st', code_challenge: pkce.challenge, code_challenge_method: 'S256' });
    const login = await browser.follow(`/oauth/auth?${params}`);
    expect(login.text).toContain('name="password"');
    const form = formOf(login.text);
    const step2 = await browser.follow('', await browser.request(form.action, { form: { ...form.fields, login: 'grace', password: 'grace-password' } }));
    expect(step2.status).toBe(200);
    expect(step2.text).toContain('autocomplete="one-time-code"');
    expect(step2.text).not.toContain('name="decision"');
    const codeForm = formOf(step2.text);
    // A forged ticket is refused.
    const forged = await browser.request(codeForm.action, { form: { ...codeForm.fields, ticket: `${codeForm.fields.ticket}x`, code: TotpCodes.at(secret, 0) } });
    expect(forged.status).toBe(401);
    const wrong = await browser.request(codeForm.action, { form: { ...codeForm.fields, code: '000000' } });
    expect(wrong.status).toBe(401);
    const done = await browser.follow('', await browser.request(codeForm.action, { form: { ...codeForm.fields, code: await codes.fresh(secret) } }));
    expect(done.text).toContain('name="decision"');
  });

  it('a sensitive action needs a second factor from the last 10 minutes: 403 recent_second_factor_required, then given again it passes', async () => {
    const login = 'henry';
    await account(admin, login);
    const { client, secret } = await enrol(t, login);
    const key: TestApplication = await approvedApplication(t, 'Rotate me');
    // Fresh from confirming: allowed.
    expect((await client.post('/api/me/app-connection/enable')).status).toBe(200);
    const accountId = (await ds.query(`SELECT id FROM accounts WHERE login = '${login}'`))[0].id as string;
    const age = async (minutes: number) => ds.getRepository(Session).update({ accountId }, { secondFactorAt: new Date(Date.now() - minutes * 60_000) });
    await age(11);
    const sensitive: [string, string, object?][] = [
      ['POST', '/api/me/app-connection/reissue'],
      ['POST', '/api/sublogin/create', { name: 'backup', password: 'backup-password-1' }],
      ['PUT', '/api/sublogin/rules', { name: 'backup', rules: [] }],
      ['POST', '/api/me/two-factor/recovery-codes'],
      ['DELETE', '/api/me/two-factor/totp'],
    ];
    for (const [method, path, json] of sensitive) {
      const res = await client.request(method, path, json ? { json } : {});
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(403);
      expect(res.body.code).toBe('recent_second_factor_required');
    }
    // The developer's session: rotating an API key (the developer has no second factor: allowed).
    expect((await key.developer.post(`/api/apps/${key.id}/key/rotate`, { json: {} })).status).toBe(200);
    // Within 10 minutes is recent enough.
    await age(9);
    expect((await client.post('/api/me/app-connection/reissue')).status).toBe(200);
    await age(11);
    expect((await client.post('/api/me/app-connection/reissue')).status).toBe(403);
    // Given again: the session records it, and the action passes.
    const again = await client.post('/auth/login/second-factor', { json: { code: await codes.fresh(secret) } });
    expect(again.status).toBe(200);
    expect((await client.post('/api/me/app-connection/reissue')).status).toBe(200);
    expect((await client.post('/api/sublogin/create', { json: { name: 'backup', password: 'backup-password-1' } })).status).toBe(201);
    // A password-only session of an account without a second factor is never asked.
    await account(admin, 'ivan');
    const ivan = t.client();
    await ivan.login('ivan', 'ivan-password');
    expect((await ivan.post('/api/me/app-connection/enable')).status).toBe(200);
    // Turning TOTP off with a fresh second factor: the account is back to password only.
    expect((await client.delete('/api/me/two-factor/totp')).status).toBe(204);
    expect((await passwordOnly(t, login)).body.secondFactorRequired).toBeUndefined();
  });

  it('the pages ask again before a sensitive action and come back to the page', async () => {
    const page = new PageClient(t.url);
    const login = 'judy';
    await account(admin, login);
    const { secret } = await enrol(t, login);
    await page.signIn(login, `${login}-password`);
    await page.get('/sign-in/second-factor');
    await page.post('/sign-in/second-factor', { code: await codes.fresh(secret), next: '/mypage' });
    const accountId = (await ds.query(`SELECT id FROM accounts WHERE login = '${login}'`))[0].id as string;
    await ds.getRepository(Session).update({ accountId }, { secondFactorAt: new Date(Date.now() - 11 * 60_000) });
    await page.get('/mypage');
    const res = await page.http.post('/mypage/app-connection/enable', { form: { _csrf: page.csrf! }, headers: { referer: `${t.url}/mypage` } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/sign-in/second-factor?next=${encodeURIComponent('/mypage')}`);
    const form = await page.get(res.headers.get('location')!);
    expect(form.text).toContain('Confirm it is you');
  });

  it('audits enrolment, confirmation, each use, failures, recovery-code use and removal', async () => {
    await t.app.get(AuditService).flush();
    const types = new Set((await ds.getRepository(AuditEvent).find()).map((e) => `${e.type}:${e.outcome}`));
    for (const t of [
      'two_factor.totp.enrol:success',
      'two_factor.totp.confirm:success',
      'two_factor.totp.confirm:failure',
      'two_factor.verify:success',
      'two_factor.verify:failure',
      'two_factor.recovery.use:success',
      'two_factor.recovery.regenerate:success',
      'two_factor.totp.remove:success',
    ]) {
      expect(types, t).toContain(t);
    }
  });
});

describe('REQUIRE_ADMIN_2FA: an operator is taken to enrolment right after the password', () => {
  let t: App;
  beforeAll(async () => {
    t = await startTestApp({ REQUIRE_ADMIN_2FA: 'true' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('the operator enrols before anything else; a customer signs in as before', async () => {
    const admin = new HttpClient(t.url);
    const login = await admin.login('admin', (await import('../support/test-env.js')).ADMIN_PASSWORD);
    expect(login.body).toMatchObject({ enrolmentRequired: true });
    const refused = await admin.get('/api/admin/accounts');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('second_factor_enrolment_required');
    expect((await admin.post('/auth/login/second-factor', { json: { code: '123456' } })).body.code).toBe('second_factor_enrolment_required');
    expect((await admin.get('/api/me/two-factor')).body).toMatchObject({ required: true, enabled: false });
    const setup = await admin.post('/api/me/two-factor/totp');
    expect((await admin.post('/api/me/two-factor/totp/confirm', { json: { code: await codes.fresh(setup.body.secret) } })).status).toBe(200);
    expect((await admin.get('/api/admin/accounts')).status).toBe(200);
    // The only factor of a required account cannot be turned off.
    expect((await admin.delete('/api/me/two-factor/totp')).body.code).toBe('conflict');
    expect((await admin.post('/api/admin/accounts', { json: { login: 'kim', password: 'kim-password', email: 'k@example.com' } })).status).toBe(201);
    const kim = new HttpClient(t.url);
    expect((await kim.login('kim', 'kim-password')).body.enrolmentRequired).toBeUndefined();
    expect((await kim.get('/api/me')).status).toBe(200);

    // On the pages: a customer goes on as before; an operator without a second factor is taken to enrolment.
    await account(admin, 'lena');
    const lena = new PageClient(t.url);
    expect((await lena.signIn('lena', 'lena-password')).headers.get('location')).toBe('/mypage');
    expect((await admin.post('/api/admin/accounts', { json: { login: 'otherop', password: 'otherop-password', email: 'o@example.com', role: 'admin' } })).status).toBe(201);
    const op = new PageClient(t.url);
    expect((await op.signIn('otherop', 'otherop-password')).headers.get('location')).toBe('/mypage/two-factor');
    const elsewhere = await op.http.get('/operator');
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.get('location')).toBe('/mypage/two-factor');
    const enrolPage = await op.get('/mypage/two-factor');
    expect(enrolPage.status).toBe(200);
    expect(enrolPage.text).toContain('Your account must have a second factor');
  });
});

describe('REQUIRE_2FA: every account enrols first', () => {
  let t: App;
  beforeAll(async () => {
    t = await startTestApp({ REQUIRE_2FA: 'true' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a customer is limited to enrolment until a factor is confirmed', async () => {
    const { ADMIN_PASSWORD } = await import('../support/test-env.js');
    const admin = new HttpClient(t.url);
    expect((await admin.login('admin', ADMIN_PASSWORD)).body.enrolmentRequired).toBe(true);
    const setupAdmin = await admin.post('/api/me/two-factor/totp');
    await admin.post('/api/me/two-factor/totp/confirm', { json: { code: await codes.fresh(setupAdmin.body.secret) } });
    await account(admin, 'nina');
    const nina = new HttpClient(t.url);
    expect((await nina.login('nina', 'nina-password')).body).toMatchObject({ enrolmentRequired: true });
    expect((await nina.get('/api/me')).body.code).toBe('second_factor_enrolment_required');
    const setup = await nina.post('/api/me/two-factor/totp');
    expect((await nina.post('/api/me/two-factor/totp/confirm', { json: { code: await codes.fresh(setup.body.secret) } })).status).toBe(200);
    expect((await nina.get('/api/me')).status).toBe(200);
    // Next time: the code, not enrolment.
    expect((await new HttpClient(t.url).login('nina', 'nina-password')).body).toMatchObject({ secondFactorRequired: true });
  });
});
