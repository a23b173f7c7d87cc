import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOtp } from '../../src/otp/core/otp-token.js';
import type { HttpClient } from '../support/http-client.js';
import { basicHeader, rawRequest, type RawResponse } from '../support/raw-request.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';
import { hiddenField } from '../support/web-pages.js';

const now = () => Math.floor(Date.now() / 1000);
const REALM = 'Portcullis';
const BASIC = `Basic realm="${REALM}", charset="UTF-8"`;
const BEARER = `Bearer realm="${REALM}"`;
const COOKIE = `Cookie realm="${REALM}", form-action="/sign-in", cookie-name="portcullis_session"`;
const API_KEY = `ApiKey realm="${REALM}", header="X-API-KEY", matrix-parameter="api_key"`;

/**
 * Every 401 carries WWW-Authenticate (issue 16 item 4; RFC 9110 §11.6.1): a walk over every kind
 * of 401 the service answers — each credential method failing each way, each route policy, the
 * API key, handlers and forms that refuse a password, the OAuth provider — checking the challenges
 * (the route's accepted methods) and that the message tells a person what is missing.
 */
describe('every 401 names the ways in', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  let owner: HttpClient;

  beforeAll(async () => {
    t = await startTestApp({ THROTTLE_BASE_DELAY_MS: '0', THROTTLE_MAX_DELAY_MS: '0' });
    admin = await t.admin();
    const create = async (login: string, registeredAt?: string) => {
      const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-login-password`, email: `${login}@example.com`, ...(registeredAt ? { registeredAt } : {}) } });
      expect(res.status, res.text).toBe(201);
    };
    await create('oldtimer', '2020-01-01T00:00:00Z'); // legacy: Basic with the login password
    await create('newbie'); // registered now: Basic off until the connection is enabled
    await create('quitter', '2020-01-01T00:00:00Z'); // legacy, then disabled by its owner
    const quitter = t.client();
    await quitter.login('quitter', 'quitter-login-password');
    expect((await quitter.post('/api/me/app-connection/disable')).status).toBe(200);
    owner = t.client();
    await owner.login('oldtimer', 'oldtimer-login-password');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}, from?: string) => rawRequest(`${t.url}${path}`, { headers, localAddress: from });
  const basic = (login: string, password: string) => ({ authorization: basicHeader(login, password) });
  const otp = (token: string) => `/api/whoami?otp=${encodeURIComponent(token)}`;

  interface Case {
    what: string;
    send: () => Promise<RawResponse>;
    code: string;
    /** The challenges, exactly, in order. */
    challenge: string | RegExp;
    /** What the message must tell. */
    says?: RegExp[];
  }

  const cases: Case[] = [
    // No credentials, per route policy: the route's methods, in its order.
    { what: 'no credentials, basic|bearer|otp|session route', send: () => get('/api/whoami'), code: 'authentication_required', challenge: `${BASIC}, ${BEARER}, ${COOKIE}`, says: [/HTTP Basic/, /Bearer/, /otp=LOGIN:EXPIRE:SALT:AUTH/, /\/sign-in/] },
    { what: 'no credentials, file API', send: () => get('/api/file/list'), code: 'authentication_required', challenge: `${BASIC}, ${BEARER}, ${COOKIE}` },
    { what: 'no credentials, session-only route', send: () => get('/api/me'), code: 'authentication_required', challenge: COOKIE, says: [/session/, /\/sign-in/] },
    { what: 'no credentials, operator route', send: () => get('/api/admin/accounts'), code: 'authentication_required', challenge: COOKIE },
    { what: 'no credentials, /dav/', send: () => rawRequest(`${t.url}/dav/`, { method: 'PROPFIND', headers: { depth: '0' } }), code: 'authentication_required', challenge: BASIC, says: [/HTTP Basic/] },
    { what: 'no credentials, /backup/', send: () => rawRequest(`${t.url}/backup/`, { method: 'PROPFIND', headers: { depth: '0' } }), code: 'authentication_required', challenge: BASIC },
    { what: 'no credentials, /v2/dav/', send: () => rawRequest(`${t.url}/v2/dav/`, { method: 'PROPFIND', headers: { depth: '0' } }), code: 'authentication_required', challenge: BEARER },
    // Basic.
    { what: 'wrong Basic password', send: () => get('/api/whoami', basic('oldtimer', 'wrong')), code: 'invalid_credentials', challenge: `${BASIC}, ${BEARER}, ${COOKIE}`, says: [/one of the account's app passwords/] },
    { what: 'wrong Basic password on /dav/', send: () => rawRequest(`${t.url}/dav/`, { method: 'PROPFIND', headers: { depth: '0', ...basic('oldtimer', 'wrong') } }), code: 'invalid_credentials', challenge: BASIC },
    {
      what: "a new account's owner sending the login password",
      send: () => get('/api/whoami', basic('newbie', 'newbie-login-password')),
      code: 'basic_disabled',
      challenge: `${BASIC}, ${BEARER}, ${COOKIE}`,
      says: [/login password is off for accounts registered after 2021-06-02T07:25:00\.000Z/, /enable the external application connection in MyPage/],
    },
    {
      what: 'an owner whose connection is disabled',
      send: () => get('/api/whoami', basic('quitter', 'quitter-login-password')),
      code: 'basic_disabled',
      challenge: `${BASIC}, ${BEARER}, ${COOKIE}`,
      says: [/connection is disabled/, /enable it in MyPage/],
    },
    // The API key, after credentials that are right.
    {
      what: 'Basic without the API key',
      send: () => get('/api/file/list', basic('oldtimer', 'oldtimer-login-password')),
      code: 'api_key_required',
      challenge: `${BASIC}, ${BEARER}, ${COOKIE}, ${API_KEY}`,
      says: [/needs an API key/, /X-API-KEY/, /;api_key=KEY/],
    },
    {
      what: 'an OTP without the API key',
      send: () => get(`/api/stat/traffic?otp=${encodeURIComponent(makeOtp('oldtimer', 'oldtimer-login-password', now() + 60, 'no-key'))}`),
      code: 'api_key_required',
      challenge: `${BASIC}, ${BEARER}, ${COOKIE}, ${API_KEY}`,
    },
    // OTP.
    { what: 'malformed OTP', send: () => get(otp('nonsense')), code: 'otp_malformed', challenge: `${BASIC}, ${BEARER}, ${COOKIE}` },
    { what: 'expired OTP', send: () => get(otp(makeOtp('oldtimer', 'oldtimer-login-password', now() - 10, 'old'))), code: 'otp_expired', challenge: `${BASIC}, ${BEARER}, ${COOKIE}` },
    { what: 'OTP too far ahead', send: () => get(otp(makeOtp('oldtimer', 'oldtimer-login-password', now() + 10 * 86_400, 'far'))), code: 'otp_too_long', challenge: `${BASIC}, ${BEARER}, ${COOKIE}` },
    { what: 'wrong OTP', send: () => get(otp(makeOtp('oldtimer', 'not-it', now() + 60, 'wrong'))), code: 'invalid_credentials', challenge: `${BASIC}, ${BEARER}, ${COOKIE}`, says: [/Basic password/] },
    {
      what: 'replayed OTP',
      send: async () => {
        const token = makeOtp('oldtimer', 'oldtimer-login-password', now() + 60, 'once');
        expect((await get(otp(token))).status).toBe(200);
        return get(otp(token));
      },
      code: 'otp_replayed',
      challenge: `${BASIC}, ${BEARER}, ${COOKIE}`,
    },
    // Bearer: its own RFC 6750 challenge.
    { what: 'unknown Bearer token', send: () => get('/api/whoami', { authorization: 'Bearer not-a-token' }), code: 'invalid_token', challenge: /^Bearer realm="Portcullis", error="invalid_token"/ },
    { what: 'unknown Bearer token on /v2/dav/', send: () => rawRequest(`${t.url}/v2/dav/`, { method: 'PROPFIND', headers: { depth: '0', authorization: 'Bearer not-a-token' } }), code: 'invalid_token', challenge: /^Bearer realm="Portcullis", error="invalid_token"/ },
    // Sessions.
    { what: 'a session that ended', send: () => get('/api/me', { cookie: 'portcullis_session=not-a-session' }), code: 'session_expired', challenge: COOKIE, says: [/sign in again/] },
    {
      what: 'a wrong password at POST /auth/login (public route)',
      send: () => rawRequest(`${t.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'oldtimer', password: 'wrong' }) }),
      code: 'invalid_credentials',
      challenge: COOKIE,
    },
    {
      what: 'a wrong current password at POST /api/me/password (a handler)',
      send: async () => {
        const res = await owner.post('/api/me/password', { json: { current: 'wrong-current-password', next: 'a-new-password-123' } });
        return { status: res.status, headers: Object.fromEntries(res.headers), body: res.body };
      },
      code: 'invalid_credentials',
      challenge: COOKIE,
    },
  ];

  it.for(cases)('$what', async (c) => {
    const res = await c.send();
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(c.code);
    const challenge = res.headers['www-authenticate'];
    if (typeof c.challenge === 'string') expect(challenge).toBe(c.challenge);
    else expect(challenge).toMatch(c.challenge);
    for (const says of c.says ?? []) expect(res.body.message).toMatch(says);
  });

  it('tells why Basic is off only to whoever gave the login password: a wrong one reads like an unknown login', async () => {
    const wrong = await get('/api/whoami', basic('newbie', 'not-the-password'), '127.0.0.7');
    const unknown = await get('/api/whoami', basic('nobody-at-all', 'not-the-password'), '127.0.0.8');
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_credentials');
      expect(res.headers['www-authenticate']).toBe(`${BASIC}, ${BEARER}, ${COOKIE}`);
      expect(res.body.message).not.toMatch(/registered after|disabled/);
    }
    expect(wrong.body).toEqual(unknown.body);
  });

  it('a wrong password on the sign-in page (HTML) carries the session challenge, which opens no browser dialog', async () => {
    const page = await t.client().get('/sign-in');
    const cookie = page.headers.getSetCookie().find((x) => x.startsWith('portcullis_signin='))!.split(';')[0]!;
    const res = await rawRequest(`${t.url}/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ _signin: hiddenField(page.text, '_signin'), next: '', login: 'oldtimer', password: 'wrong' }).toString(),
    });
    expect(res.status).toBe(401);
    expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
    expect(res.headers['www-authenticate']).toBe(COOKIE);
    expect(res.headers['www-authenticate']).not.toMatch(/Basic|Digest|Negotiate|NTLM/);
  });

  it('the OAuth token endpoint challenges a client that authenticated in the body', async () => {
    const res = await rawRequest(`${t.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'no-such-client', client_secret: 'nope' }).toString(),
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.headers['www-authenticate']).toBe(`Basic realm="${REALM}"`);
  });
});
