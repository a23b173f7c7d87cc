import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service.js';
import type { HttpClient } from '../support/http-client.js';
import { rawRequest, type RawResponse } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { hiddenField } from '../support/web-pages.js';

type Started = TestApp & { env: TestEnv; stop(): Promise<void> };

/** The attacker's own account: login CSRF signs the visitor in as this one. */
const MALLORY = { login: 'mallory', password: 'mallory-password' };
const FORM = 'application/x-www-form-urlencoded';

const setCookies = (res: RawResponse): string[] => {
  const v = res.headers['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
const sessionCookie = (res: RawResponse) => setCookies(res).find((c) => c.startsWith('portcullis_session='));

/** POST /auth/login with headers exactly as given. */
function login(t: TestApp, headers: Record<string, string>, body: string): Promise<RawResponse> {
  return rawRequest(`${t.url}/auth/login`, { method: 'POST', headers, body });
}
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const json = (fields: Record<string, string>) => JSON.stringify(fields);

/** The sign-in page's token, as GET /sign-in hands it out: the hidden field and its cookie. */
async function signInToken(t: TestApp): Promise<{ field: string; cookie: string }> {
  const page = await rawRequest(`${t.url}/sign-in`);
  expect(page.status).toBe(200);
  const cookie = setCookies(page).find((c) => c.startsWith('portcullis_signin='))!;
  expect(cookie).toMatch(/Path=\/sign-in/);
  return { field: hiddenField(page.body, '_signin'), cookie: cookie.split(';')[0]! };
}

function expectRefused(res: RawResponse): void {
  expect(res.status).toBe(403);
  expect(res.body).toMatchObject({ statusCode: 403, code: 'csrf_failed' });
  expect(setCookies(res)).toEqual([]); // no session, no CSRF cookie: nothing set
}

async function expectSignedIn(t: TestApp, res: RawResponse): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ login: MALLORY.login, role: 'user' });
  const session = sessionCookie(res);
  expect(session).toBeDefined();
  const whoami = await rawRequest(`${t.url}/api/whoami`, { headers: { cookie: session!.split(';')[0]! } });
  expect(whoami.status).toBe(200);
  expect(whoami.body).toMatchObject({ login: MALLORY.login, method: 'session' });
}

describe('POST /auth/login refuses sign-ins another site could make (login CSRF)', () => {
  let t: Started;
  let admin: HttpClient;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.admin();
    expect((await admin.post('/api/admin/accounts', { json: { ...MALLORY, email: 'mallory@example.com' } })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("refuses another site's form with the attacker's right password: 403 csrf_failed, no session", async () => {
    expectRefused(await login(t, { 'content-type': FORM, origin: 'https://evil.example' }, form(MALLORY)));
    // Not even with a sign-in token the attacker fetched for themselves.
    const token = await signInToken(t);
    expectRefused(await login(t, { 'content-type': FORM, origin: 'https://evil.example', cookie: token.cookie }, form({ ...MALLORY, _signin: token.field })));
    // A sandboxed frame or a privacy redirect sends `Origin: null`.
    expectRefused(await login(t, { 'content-type': FORM, origin: 'null', cookie: token.cookie }, form({ ...MALLORY, _signin: token.field })));
  });

  it('refuses a JSON sign-in from another origin, and one the browser marks Sec-Fetch-Site: cross-site', async () => {
    expectRefused(await login(t, { 'content-type': 'application/json', origin: 'https://evil.example' }, json(MALLORY)));
    expectRefused(await login(t, { 'content-type': 'application/json', origin: t.url.replace('127.0.0.1', 'localhost') }, json(MALLORY)));
    expectRefused(await login(t, { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, json(MALLORY)));
    expectRefused(await login(t, { 'content-type': FORM, 'sec-fetch-site': 'cross-site' }, form(MALLORY)));
  });

  it("refuses a form without the sign-in page's token, or with a token that is not its cookie's", async () => {
    expectRefused(await login(t, { 'content-type': FORM }, form(MALLORY)));
    expectRefused(await login(t, { 'content-type': FORM, origin: t.url }, form(MALLORY))); // even from our own origin
    const token = await signInToken(t);
    expectRefused(await login(t, { 'content-type': FORM }, form({ ...MALLORY, _signin: token.field }))); // no cookie
    expectRefused(await login(t, { 'content-type': FORM, cookie: token.cookie }, form(MALLORY))); // no field
    const other = await signInToken(t);
    expectRefused(await login(t, { 'content-type': FORM, cookie: token.cookie }, form({ ...MALLORY, _signin: other.field })));
    expectRefused(await login(t, { 'content-type': 'text/plain' }, `login=${MALLORY.login}&password=${MALLORY.password}`));
    const multipart = await login(t, { 'content-type': 'multipart/form-data; boundary=b' }, `--b\r\ncontent-disposition: form-data; name="login"\r\n\r\n${MALLORY.login}\r\n--b--\r\n`);
    expect(multipart.status).toBeGreaterThanOrEqual(400);
    expect(sessionCookie(multipart)).toBeUndefined();
  });

  it('never checked the password of a refused sign-in: nothing audited', async () => {
    await t.app.get(AuditService).flush();
    const audit = await admin.get(`/api/admin/audit?type=auth.login&login=${MALLORY.login}`);
    expect(audit.status).toBe(200);
    expect(audit.body).toEqual([]);
  });

  it("accepts a form that carries the sign-in page's token with its cookie", async () => {
    const token = await signInToken(t);
    const res = await login(t, { 'content-type': FORM, cookie: token.cookie }, form({ ...MALLORY, _signin: token.field }));
    await expectSignedIn(t, res);
    // Used: the sign-in cookie is cleared, as the sign-in page does.
    expect(setCookies(res).find((c) => c.startsWith('portcullis_signin='))).toMatch(/Path=\/sign-in/);
    const fromOurPage = await signInToken(t);
    await expectSignedIn(t, await login(t, { 'content-type': FORM, origin: t.url, 'sec-fetch-site': 'same-origin', cookie: fromOurPage.cookie }, form({ ...MALLORY, _signin: fromOurPage.field })));
  });

  it('accepts JSON from a script (no Origin), and from our own origin as Swagger UI sends it', async () => {
    await expectSignedIn(t, await login(t, { 'content-type': 'application/json' }, json(MALLORY)));
    await expectSignedIn(t, await login(t, { 'content-type': 'application/json; charset=utf-8', 'sec-fetch-mode': 'cors' }, json(MALLORY)));
    // Swagger UI at /docs: fetch from the same origin, JSON (the operation's first content type).
    await expectSignedIn(t, await login(t, { 'content-type': 'application/json', origin: t.url, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', referer: `${t.url}/docs` }, json(MALLORY)));
    await expectSignedIn(t, await login(t, { 'content-type': 'application/json', 'sec-fetch-site': 'none' }, json(MALLORY)));
  });

  it('keeps the sign-in page working (its form posts to /sign-in with the same token)', async () => {
    const token = await signInToken(t);
    const res = await rawRequest(`${t.url}/sign-in`, { method: 'POST', headers: { 'content-type': FORM, origin: t.url, cookie: token.cookie }, body: form({ ...MALLORY, _signin: token.field, next: '/mypage' }) });
    expect(res.status).toBe(303);
    expect(sessionCookie(res)).toBeDefined();
  });
});

describe("POST /auth/login: the service's own origin is PUBLIC_URL's, or the request's as seen (TRUST_PROXY)", () => {
  const apps: Started[] = [];
  afterAll(async () => {
    for (const a of apps) await a.stop();
  });
  async function start(env: Record<string, string>): Promise<Started> {
    const t = await startTestApp(env);
    apps.push(t);
    const admin = await t.admin();
    expect((await admin.post('/api/admin/accounts', { json: { ...MALLORY, email: 'mallory@example.com' } })).status).toBe(201);
    return t;
  }
  const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'storage.example' };

  it('accepts the Origin of PUBLIC_URL behind a proxy that keeps its own Host', async () => {
    const t = await start({ PUBLIC_URL: 'https://storage.example/' });
    await expectSignedIn(t, await login(t, { 'content-type': 'application/json', origin: 'https://storage.example' }, json(MALLORY)));
    expectRefused(await login(t, { 'content-type': 'application/json', origin: 'http://storage.example' }, json(MALLORY)));
    expectRefused(await login(t, { 'content-type': 'application/json', origin: 'https://evil.example' }, json(MALLORY)));
  });

  it("believes X-Forwarded-Host/-Proto only from a TRUST_PROXY proxy", async () => {
    const trusting = await start({ TRUST_PROXY: '127.0.0.1' });
    await expectSignedIn(trusting, await login(trusting, { 'content-type': 'application/json', origin: 'https://storage.example', ...proxied }, json(MALLORY)));
    // The proxy's word is the request's origin now: the peer's Host alone no longer is.
    expectRefused(await login(trusting, { 'content-type': 'application/json', origin: trusting.url, ...proxied }, json(MALLORY)));

    const notTrusting = await start({});
    expectRefused(await login(notTrusting, { 'content-type': 'application/json', origin: 'https://storage.example', ...proxied }, json(MALLORY)));
    await expectSignedIn(notTrusting, await login(notTrusting, { 'content-type': 'application/json', origin: notTrusting.url, ...proxied }, json(MALLORY)));
  });
});
