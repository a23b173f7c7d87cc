import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { authorize, Browser, formOf, oauthApplication, oauthPost, type OAuthTestApp, pkcePair, REDIRECT_URI, tokensFor } from '../support/oauth.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const ALICE = { login: 'alice', password: 'alice-password-1' } as const;
const READER = { login: 'alice-reader', password: 'reader-password-1' } as const;

/**
 * The OAuth 2 authorization server and Bearer tokens (contract §4.4), over real HTTP: the login and
 * consent pages are driven like a browser (cookies, forms, redirects), the endpoints like a client.
 */
describe('OAuth 2 authorization server and Bearer tokens', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let admin: HttpClient;
  let alice: HttpClient;
  let app: OAuthTestApp;
  let other: OAuthTestApp;

  beforeAll(async () => {
    // Fast throttling, so the sign-in page's brute-force limit can be seen.
    t = await startTestApp({ THROTTLE_BASE_DELAY_MS: '1', THROTTLE_MAX_DELAY_MS: '2', THROTTLE_FREE_FAILURES: '3', THROTTLE_LOGIN_SUBNET_MAX: '6' });
    admin = await t.admin();
    for (const login of ['alice', 'bob', 'carol']) {
      const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-password-1`, email: `${login}@example.com` } });
      expect(res.status, res.text).toBe(201);
    }
    alice = t.client();
    await alice.login(ALICE.login, ALICE.password);
    // A sublogin that may list files and nothing else.
    const sub = await alice.post('/api/sublogin/create', { json: { name: 'reader', password: READER.password, rules: [{ path: '/file/list', effect: 'allow' }] } });
    expect(sub.status, sub.text).toBe(201);
    expect((await alice.post('/api/file/mkdir', { json: { path: '/docs' } })).status).toBe(201);
    app = await oauthApplication(t, 'Acme Sync');
    other = await oauthApplication(t, 'Other App');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
  const get = (path: string, headers: Record<string, string>) => fetch(`${t.url}${path}`, { headers });
  const post = (path: string, headers: Record<string, string>, json: unknown) => fetch(`${t.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(json) });
  const tokens = (scope: string, who: { login: string; password: string } = ALICE, client = app) => tokensFor(t.url, { clientId: client.id, scope, ...who });

  describe('metadata (RFC 8414)', () => {
    it('is published at /.well-known/oauth-authorization-server for the issuer PUBLIC_URL', async () => {
      const res = await fetch(`${t.url}/.well-known/oauth-authorization-server`);
      expect(res.status).toBe(200);
      const m = (await res.json()) as Record<string, any>;
      expect(m.issuer).toBe(t.config.publicUrl);
      for (const [key, path] of [
        ['authorization_endpoint', '/oauth/auth'],
        ['token_endpoint', '/oauth/token'],
        ['device_authorization_endpoint', '/oauth/device/auth'],
        ['revocation_endpoint', '/oauth/token/revocation'],
        ['introspection_endpoint', '/oauth/token/introspection'],
      ]) {
        expect(m[key!]).toBe(`${t.url}${path}`);
      }
      expect(m.code_challenge_methods_supported).toEqual(['S256']);
      expect(m.response_types_supported).toEqual(['code']);
      expect(m.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', DEVICE_GRANT]));
      expect(m.grant_types_supported).not.toContain('implicit');
      expect(m.scopes_supported).toEqual(expect.arrayContaining(['file:read', 'file:write', 'file:delete', 'stat:read', 'sublogin', 'dav']));
      expect(m.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_basic']));
      expect(m.userinfo_endpoint).toBeUndefined();
    });
  });

  describe('authorization code + PKCE through the login and consent pages', () => {
    it('signs in, asks consent in plain words, and issues opaque tokens', async () => {
      const a = await authorize(t.url, { clientId: app.id, scope: 'file:read dav', ...ALICE });
      expect(a.loginPage).toContain('Acme Sync');
      expect(a.loginPage).toMatch(/<label for="password">/);
      expect(a.loginPage).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
      expect(a.consentPage).toContain('See your files and folders, and download them');
      expect(a.consentPage).toContain('Connect to your storage as a network drive');
      expect(a.consentPage).not.toContain('Delete your files');
      expect(a.callback.origin + a.callback.pathname).toBe(REDIRECT_URI);
      expect(a.callback.searchParams.get('iss')).toBe(t.config.publicUrl);
      const res = await oauthPost(t.url, '/oauth/token', { grant_type: 'authorization_code', code: a.code!, redirect_uri: REDIRECT_URI, client_id: app.id, code_verifier: a.verifier });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'file:read dav' });
      expect(res.body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // A code works once.
      const again = await oauthPost(t.url, '/oauth/token', { grant_type: 'authorization_code', code: a.code!, redirect_uri: REDIRECT_URI, client_id: app.id, code_verifier: a.verifier });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
      // The pages are ours: no framing, no script, no external asset.
      const page = await new Browser(t.url).follow(`/oauth/auth?${new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: REDIRECT_URI, scope: 'file:read', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('cache-control')).toBe('no-store');
    });

    it('whoami with the token: method bearer, the application, the scopes', async () => {
      const tk = await tokens('file:read stat:read');
      const res = await get('/api/whoami', bearer(tk.access_token));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ login: 'alice', account: 'alice', sublogin: null, method: 'bearer', application: { id: app.id, name: 'Acme Sync' }, scopes: ['file:read', 'stat:read'] });
      // With the application's own key too; another application's key does not mix with the token.
      expect((await get('/api/whoami', bearer(tk.access_token, { 'x-api-key': app.key }))).status).toBe(200);
      const mixed = await get('/api/whoami', bearer(tk.access_token, { 'x-api-key': other.key }));
      expect(mixed.status).toBe(403);
      expect(((await mixed.json()) as { code: string }).code).toBe('api_key_invalid');
    });

    it('needs the API key on the file API, and answers a scope miss with 403 insufficient_scope', async () => {
      const tk = await tokens('file:read');
      const noKey = await get('/api/file/list?path=/', bearer(tk.access_token));
      expect(noKey.status).toBe(401);
      expect(((await noKey.json()) as { code: string }).code).toBe('api_key_required');
      expect((await get('/api/file/list?path=/', bearer(tk.access_token, { 'x-api-key': app.key }))).status).toBe(200);

      const del = await post('/api/file/delete', bearer(tk.access_token, { 'x-api-key': app.key }), { path: '/docs' });
      expect(del.status).toBe(403);
      expect(((await del.json()) as { code: string }).code).toBe('insufficient_scope');
      expect(del.headers.get('www-authenticate')).toBe('Bearer realm="Portcullis", error="insufficient_scope", scope="file:delete"');
      expect((await get('/api/stat/storage', bearer(tk.access_token, { 'x-api-key': app.key }))).status).toBe(403);
      expect((await post('/api/file/mkdir', bearer(tk.access_token, { 'x-api-key': app.key }), { path: '/nope' })).status).toBe(403);
    });

    it('requires PKCE S256 and the registered redirect URI exactly', async () => {
      const base = { response_type: 'code', client_id: app.id, redirect_uri: REDIRECT_URI, scope: 'file:read', state: 's' };
      const noPkce = await new Browser(t.url).request(`/oauth/auth?${new URLSearchParams(base)}`);
      expect(noPkce.status).toBe(303);
      expect(new URL(noPkce.location!).searchParams.get('error')).toBe('invalid_request');
      const plain = await new Browser(t.url).request(`/oauth/auth?${new URLSearchParams({ ...base, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })}`);
      expect(new URL(plain.location!).searchParams.get('error')).toBe('invalid_request');
      for (const redirect of [`${REDIRECT_URI}/x`, `${REDIRECT_URI}?a=1`, 'http://127.0.0.1:9/Callback', 'https://evil.example/callback']) {
        const res = await new Browser(t.url).request(`/oauth/auth?${new URLSearchParams({ ...base, redirect_uri: redirect, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`);
        expect(res.status, redirect).toBe(400); // an error page, never a redirect to an unregistered URI
        expect(res.location).toBeNull();
      }
      // A wrong verifier fails the exchange.
      const a = await authorize(t.url, { clientId: app.id, scope: 'file:read', ...ALICE });
      const bad = await oauthPost(t.url, '/oauth/token', { grant_type: 'authorization_code', code: a.code!, redirect_uri: REDIRECT_URI, client_id: app.id, code_verifier: pkcePair().verifier });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('invalid_grant');
    });

    it('re-renders the login page on a wrong password, refuses a forged form, and tells the client when the user denies', async () => {
      const browser = new Browser(t.url);
      const p = pkcePair();
      const params = new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: REDIRECT_URI, scope: 'file:read', state: 'st', code_challenge: p.challenge, code_challenge_method: 'S256' });
      const page = await browser.follow(`/oauth/auth?${params}`);
      const form = formOf(page.text);
      const wrong = await browser.request(form.action, { form: { ...form.fields, login: 'carol', password: 'not-her-password' } });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('The login or password is wrong.');
      expect(wrong.text).toContain('value="carol"');
      const forged = await browser.request(form.action, { form: { ...form.fields, _csrf: 'forged', login: 'carol', password: 'carol-password-1' } });
      expect(forged.status).toBe(403);
      // Another browser (without the interaction cookie) cannot use the form at all.
      const elsewhere = await new Browser(t.url).request(form.action, { form: { ...form.fields, login: 'carol', password: 'carol-password-1' } });
      expect(elsewhere.status).toBe(400);

      const denied = await authorize(t.url, { clientId: app.id, scope: 'file:read', login: 'carol', password: 'carol-password-1', decision: 'deny', browser });
      expect(denied.code).toBeNull();
      expect(denied.callback.searchParams.get('error')).toBe('access_denied');
    });
  });

  describe('Bearer errors (RFC 6750)', () => {
    it('answers an unknown token 401 invalid_token, a malformed header 400, and no token with the challenge', async () => {
      const unknown = await get('/api/whoami', bearer(randomBytes(32).toString('base64url')));
      expect(unknown.status).toBe(401);
      expect(((await unknown.json()) as { code: string }).code).toBe('invalid_token');
      expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer realm="Portcullis", error="invalid_token"/);

      const malformed = await get('/api/whoami', { authorization: 'Bearer a b' });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);

      const none = await get('/api/whoami', {});
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer realm="Portcullis"');
      expect(none.headers.get('www-authenticate')).toContain('Basic realm="Portcullis"');

      // Tokens are read from the Authorization header only, never from the URL.
      const tk = await tokens('file:read');
      expect((await get(`/api/whoami?access_token=${tk.access_token}`, {})).status).toBe(401);
    });

    it('refuses the token on a route that takes Basic only (/dav/), and accepts it on /v2/dav/ with the dav scope', async () => {
      const tk = await tokens('dav file:read');
      const v1 = await fetch(`${t.url}/dav/`, { method: 'PROPFIND', headers: bearer(tk.access_token, { depth: '0' }) });
      expect(v1.status).toBe(401);
      expect(v1.headers.get('www-authenticate')).toMatch(/^Basic /);
      const v2 = await fetch(`${t.url}/v2/dav/`, { method: 'PROPFIND', headers: bearer(tk.access_token, { depth: '1' }) });
      expect(v2.status).toBe(207);
      expect(await v2.text()).toContain('/v2/dav/docs/');
      const noDav = await tokens('file:read');
      expect((await fetch(`${t.url}/v2/dav/`, { method: 'PROPFIND', headers: bearer(noDav.access_token, { depth: '0' }) })).status).toBe(403);
      // Nor does a session or the API routes' Basic accept the token in their place.
      expect((await fetch(`${t.url}/api/me`, { headers: bearer(tk.access_token) })).status).toBe(401);
      expect((await fetch(`${t.url}/api/apps`, { headers: bearer(tk.access_token) })).status).toBe(401);
    });
  });

  describe('refresh tokens: rotation and reuse detection', () => {
    it('rotates on every use; reusing an old refresh token revokes the whole grant', async () => {
      const first = await tokens('file:read');
      const r1 = await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: app.id });
      expect(r1.status).toBe(200);
      expect(r1.body.refresh_token).not.toBe(first.refresh_token);
      expect(r1.body.access_token).not.toBe(first.access_token);
      expect(r1.body.scope).toBe('file:read');
      expect((await get('/api/whoami', bearer(r1.body.access_token))).status).toBe(200);

      const reuse = await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: app.id });
      expect(reuse.status).toBe(400);
      expect(reuse.body.error).toBe('invalid_grant');
      // Everything of the grant is gone: the rotated refresh token and every access token.
      const next = await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token, client_id: app.id });
      expect(next.body.error).toBe('invalid_grant');
      expect((await get('/api/whoami', bearer(r1.body.access_token))).status).toBe(401);
      expect((await get('/api/whoami', bearer(first.access_token))).status).toBe(401);
    });

    it('lets exactly one of several concurrent uses of a refresh token through, refuses the others invalid_grant, and revokes the grant', async () => {
      const first = await tokens('file:read');
      const results = await Promise.all([0, 1, 2, 3].map(() => oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: app.id })));
      // The first to mark it used wins (one conditional UPDATE); each other one is a reuse.
      const winners = results.filter((r) => r.status === 200);
      expect(winners, JSON.stringify(results.map((r) => [r.status, r.body?.error]))).toHaveLength(1);
      const losers = results.filter((r) => r !== winners[0]);
      expect(losers.map((r) => [r.status, r.body.error])).toEqual(Array(3).fill([400, 'invalid_grant']));
      // A reuse revokes the grant, the winner's new tokens with it (the losers answered after revoking).
      const [w] = winners;
      expect((await get('/api/whoami', bearer(w!.body.access_token))).status).toBe(401);
      const again = await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: w!.body.refresh_token, client_id: app.id });
      expect([again.status, again.body.error]).toEqual([400, 'invalid_grant']);
    });

    it('refuses a refresh token to another client', async () => {
      const tk = await tokens('file:read');
      const res = await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tk.refresh_token, client_id: other.id });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    });
  });

  describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
    it('a revoked token is refused at once; introspection then says inactive', async () => {
      const tk = await tokens('file:read dav');
      expect((await get('/api/whoami', bearer(tk.access_token))).status).toBe(200); // now cached
      const active = await oauthPost(t.url, '/oauth/token/introspection', { token: tk.access_token, client_id: app.id });
      expect(active.status).toBe(200);
      expect(active.body).toMatchObject({ active: true, client_id: app.id, scope: 'file:read dav', token_type: 'Bearer', aud: t.config.publicUrl });
      // Another client learns nothing about it.
      expect((await oauthPost(t.url, '/oauth/token/introspection', { token: tk.access_token, client_id: other.id })).body).toEqual({ active: false });

      const revoked = await oauthPost(t.url, '/oauth/token/revocation', { token: tk.access_token, client_id: app.id });
      expect(revoked.status).toBe(200);
      const after = await get('/api/whoami', bearer(tk.access_token));
      expect(after.status).toBe(401);
      expect(((await after.json()) as { code: string }).code).toBe('invalid_token');
      expect((await oauthPost(t.url, '/oauth/token/introspection', { token: tk.access_token, client_id: app.id })).body).toEqual({ active: false });
      // Revoking a token ends the authorization: its refresh token is gone too.
      expect((await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tk.refresh_token, client_id: app.id })).status).toBe(400);
    });
  });

  describe('connected applications (/api/me/apps)', () => {
    it('lists the authorized application with its scopes and last use; revoking it stops its tokens at once', async () => {
      const bob = t.client();
      await bob.login('bob', 'bob-password-1');
      const tk = await tokens('file:read dav', { login: 'bob', password: 'bob-password-1' });
      expect((await get('/api/whoami', bearer(tk.access_token))).status).toBe(200);
      await expect
        .poll(async () => ((await bob.get('/api/me/apps')).body as Array<{ id: string; authorizations: Array<{ lastUsedAt: string | null }> }>).find((a) => a.id === app.id)?.authorizations[0]?.lastUsedAt ?? null, { timeout: 2_000 })
        .not.toBeNull();
      const listed = ((await bob.get('/api/me/apps')).body as Array<Record<string, any>>).find((a) => a.id === app.id)!;
      expect(listed).toMatchObject({ name: 'Acme Sync', blocked: false });
      expect(listed.authorizations).toEqual([
        { login: 'bob', sublogin: null, scopes: ['file:read', 'dav'], authorizedAt: expect.any(String), expiresAt: expect.any(String), lastUsedAt: expect.any(String), lastUsedIp: '127.0.0.1' },
      ]);
      // Nobody else sees it.
      expect(((await alice.get('/api/me/apps')).body as Array<{ id: string; authorizations: unknown[] }>).find((a) => a.id === app.id)?.authorizations ?? []).not.toContainEqual(expect.objectContaining({ login: 'bob' }));

      const revoked = await bob.post(`/api/me/apps/${app.id}/revoke`);
      expect(revoked.status, revoked.text).toBe(200);
      expect(revoked.body.authorizations).toEqual([]);
      expect((await get('/api/whoami', bearer(tk.access_token))).status).toBe(401);
      expect((await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tk.refresh_token, client_id: app.id })).status).toBe(400);
      expect(((await bob.get('/api/me/apps')).body as Array<{ id: string; authorizations: unknown[] }>).find((a) => a.id === app.id)?.authorizations ?? []).toEqual([]);
      expect((await bob.post(`/api/me/apps/${app.id}/revoke`, { headers: { 'x-csrf-token': 'forged' } })).status).toBe(403);
    });

    it('a block by the user, a suspension, or an operator revoking the application stop tokens at once', async () => {
      const carol = t.client();
      await carol.login('carol', 'carol-password-1');
      const carolTokens = await tokens('file:read', { login: 'carol', password: 'carol-password-1' });
      expect((await get('/api/whoami', bearer(carolTokens.access_token))).status).toBe(200);
      expect((await carol.post(`/api/me/apps/${app.id}/block`)).status).toBe(200);
      expect((await get('/api/whoami', bearer(carolTokens.access_token))).status).toBe(401);
      expect((await carol.post(`/api/me/apps/${app.id}/unblock`)).status).toBe(200);
      expect((await get('/api/whoami', bearer(carolTokens.access_token))).status).toBe(200);

      const victim = await oauthApplication(t, 'Soon revoked');
      const tk = await tokens('file:read', ALICE, victim);
      expect((await get('/api/whoami', bearer(tk.access_token))).status).toBe(200);
      expect((await admin.post(`/api/admin/apps/${victim.id}/revoke`)).status).toBe(200);
      expect((await get('/api/whoami', bearer(tk.access_token))).status).toBe(401);
      expect((await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tk.refresh_token, client_id: victim.id })).body.error).toBe('invalid_client');
      const page = await new Browser(t.url).request(`/oauth/auth?${new URLSearchParams({ response_type: 'code', client_id: victim.id, redirect_uri: REDIRECT_URI, scope: 'file:read', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`);
      expect(page.status).toBe(400);

      const accounts = (await admin.get('/api/admin/accounts?limit=100')).body.items as Array<{ id: string; login: string }>;
      const carolId = accounts.find((a) => a.login === 'carol')!.id;
      expect((await admin.post(`/api/admin/accounts/${carolId}/suspend`)).status).toBe(200);
      expect((await get('/api/whoami', bearer(carolTokens.access_token))).status).toBe(401);
      expect((await oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: carolTokens.refresh_token, client_id: app.id })).status).toBe(400);
      expect((await admin.post(`/api/admin/accounts/${carolId}/unsuspend`)).status).toBe(200);
    });
  });

  describe('sublogins', () => {
    it("a sublogin's token never exceeds the sublogin's rules, whatever its scopes", async () => {
      const a = await authorize(t.url, { clientId: app.id, scope: 'file:read file:delete', ...READER });
      expect(a.consentPage).toContain('alice-reader');
      const res = await oauthPost(t.url, '/oauth/token', { grant_type: 'authorization_code', code: a.code!, redirect_uri: REDIRECT_URI, client_id: app.id, code_verifier: a.verifier });
      const token = res.body.access_token as string;
      const who = await get('/api/whoami', bearer(token));
      expect(await who.json()).toMatchObject({ login: 'alice-reader', account: 'alice', sublogin: 'reader', method: 'bearer', scopes: ['file:read', 'file:delete'] });
      const key = { 'x-api-key': app.key };
      expect((await get('/api/file/list?path=/', bearer(token, key))).status).toBe(200);
      // In the token's scopes, outside the sublogin's rules: the ACL decides.
      const info = await get('/api/file/info?path=/docs', bearer(token, key));
      expect(info.status).toBe(403);
      expect(((await info.json()) as { code: string }).code).toBe('acl_denied');
      const del = await post('/api/file/delete', bearer(token, key), { path: '/docs' });
      expect(((await del.json()) as { code: string }).code).toBe('acl_denied');
      // A disabled sublogin's tokens stop at once.
      expect((await alice.post('/api/sublogin/update', { json: { name: 'reader', enabled: false } })).status).toBe(200);
      expect((await get('/api/whoami', bearer(token))).status).toBe(401);
      expect((await alice.post('/api/sublogin/update', { json: { name: 'reader', enabled: true } })).status).toBe(200);
      // Its grants show in the customer's connected applications.
      const listed = ((await alice.get('/api/me/apps')).body as Array<Record<string, any>>).find((x) => x.id === app.id)!;
      expect(listed.authorizations).toContainEqual(expect.objectContaining({ login: 'alice-reader', sublogin: 'reader', scopes: ['file:read', 'file:delete'] }));
    });

    it("a sublogin's token never exceeds its scopes either, whatever the sublogin's rules allow: 403 insufficient_scope", async () => {
      const FILER = { login: 'alice-filer', password: 'filer-password-1' };
      expect((await alice.post('/api/sublogin/create', { json: { name: 'filer', password: FILER.password, rules: [{ path: '/file/', effect: 'allow' }] } })).status).toBe(201);
      expect((await alice.post('/api/file/mkdir', { json: { path: '/filer' } })).status).toBe(201);
      const key = { 'x-api-key': app.key };
      const upload = (token: string, path: string, body: string) =>
        fetch(`${t.url}/api/file/upload?path=${encodeURIComponent(path)}`, { method: 'PUT', headers: bearer(token, { ...key, 'content-type': 'application/octet-stream' }), body });
      const refusedForScope = async (res: Response, scope: string) => {
        expect(res.status).toBe(403);
        expect(((await res.json()) as { code: string }).code).toBe('insufficient_scope');
        expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="Portcullis", error="insufficient_scope", scope="${scope}"`);
      };

      // The sublogin's rules allow writing and deleting: a token of it with those scopes does both.
      const wide = (await tokens('file:read file:write file:delete', FILER)).access_token;
      expect((await upload(wide, '/filer/kept.txt', 'kept')).status).toBe(201);
      expect((await upload(wide, '/filer/gone.txt', 'gone')).status).toBe(201);
      expect((await post('/api/file/delete', bearer(wide, key), { path: '/filer/gone.txt' })).status).toBe(204);

      // A token of the same sublogin with file:read only reads, and does nothing else.
      const narrow = (await tokens('file:read', FILER)).access_token;
      expect(await (await get('/api/whoami', bearer(narrow))).json()).toMatchObject({ login: 'alice-filer', sublogin: 'filer', method: 'bearer', scopes: ['file:read'] });
      expect((await get('/api/file/list?path=/filer', bearer(narrow, key))).status).toBe(200);
      await refusedForScope(await upload(narrow, '/filer/new.txt', 'new'), 'file:write');
      await refusedForScope(await upload(narrow, '/filer/kept.txt', 'replaced'), 'file:write');
      await refusedForScope(await post('/api/file/delete', bearer(narrow, key), { path: '/filer/kept.txt' }), 'file:delete');
      await refusedForScope(await post('/api/file/mkdir', bearer(narrow, key), { path: '/filer/sub' }), 'file:write');

      const listed = await alice.get('/api/file/list?path=/filer');
      expect(listed.body.items.map((i: { name: string }) => i.name)).toEqual(['kept.txt']);
      expect((await alice.get('/api/file/download?path=/filer/kept.txt')).text).toBe('kept');
    });

    it("a dav token of a sublogin whose rules deny /dav/write cannot write on /v2/dav/: 403 acl_denied", async () => {
      const DAVREAD = { login: 'alice-davread', password: 'davread-password-1' };
      const rules = [
        { path: '/dav/', effect: 'allow' },
        { path: '/dav/write', effect: 'deny' },
      ];
      expect((await alice.post('/api/sublogin/create', { json: { name: 'davread', password: DAVREAD.password, rules } })).status).toBe(201);
      const token = (await tokens('dav', DAVREAD)).access_token;
      const dav = (method: string, path: string, headers: Record<string, string> = {}, body?: string) => fetch(`${t.url}/v2/dav${path}`, { method, headers: bearer(token, headers), body });

      // Reading is in the scope and the rules.
      const listed = await dav('PROPFIND', '/', { depth: '1' });
      expect(listed.status).toBe(207);
      expect(await listed.text()).toContain('/v2/dav/docs/');
      // Writing is in the scope, not in the rules: the ACL refuses, and a wider token would not help.
      for (const [method, path, headers, body] of [
        ['PUT', '/docs/by-token.txt', {}, 'x'],
        ['MKCOL', '/docs/by-token', {}, undefined],
        ['PROPPATCH', '/docs', {}, '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:a>b</Z:a></D:prop></D:set></D:propertyupdate>'],
      ] as const) {
        const res = await dav(method, path, headers, body);
        expect(res.status, method).toBe(403);
        expect(((await res.json()) as { code: string }).code, method).toBe('acl_denied');
      }
      const names = (await alice.get('/api/file/list?path=/docs')).body.items.map((i: { name: string }) => i.name);
      expect(names).not.toContain('by-token.txt');
      expect(names).not.toContain('by-token');
    });
  });

  describe('sign-in throttling and audit', () => {
    it('slows and then refuses repeated wrong passwords on the sign-in page (also for sublogins), and audits them', async () => {
      expect((await alice.post('/api/sublogin/create', { json: { name: 'guessed', password: 'guessed-password-1', rules: [] } })).status).toBe(201);
      const browser = new Browser(t.url);
      const params = new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: REDIRECT_URI, scope: 'file:read', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
      const form = formOf((await browser.follow(`/oauth/auth?${params}`)).text);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await browser.request(form.action, { form: { ...form.fields, login: 'alice-guessed', password: `wrong-${i}` } })).status);
      expect(statuses.slice(0, 6).every((s) => s === 401)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
      const refused = await browser.request(form.action, { form: { ...form.fields, login: 'alice-guessed', password: 'guessed-password-1' } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused.text).toContain('Too many failed attempts');
      const audit = (await admin.get('/api/admin/audit?login=alice-guessed&type=auth.login')).body as Array<{ outcome: string; code: string | null; detail: Record<string, unknown> }>;
      expect(audit.some((e) => e.outcome === 'failure' && e.code === 'invalid_credentials' && e.detail.via === 'oauth')).toBe(true);
      expect(JSON.stringify(audit)).not.toContain('wrong-');
    });
  });

  describe('device authorization grant (RFC 8628)', () => {
    it('completes: the device polls, the user enters the code, signs in and consents', async () => {
      const start = await oauthPost(t.url, '/oauth/device/auth', { client_id: app.id, scope: 'dav file:read' });
      expect(start.status).toBe(200);
      expect(start.body).toMatchObject({ verification_uri: `${t.url}/oauth/device`, expires_in: 600, user_code: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/) });
      const poll = () => oauthPost(t.url, '/oauth/token', { grant_type: DEVICE_GRANT, device_code: start.body.device_code, client_id: app.id });
      expect((await poll()).body.error).toBe('authorization_pending');

      const browser = new Browser(t.url);
      const input = await browser.follow(start.body.verification_uri);
      expect(input.status).toBe(200);
      expect(input.text).toContain('Enter the code shown on your device');
      const wrong = await browser.request(formOf(input.text).action, { form: { ...formOf(input.text).fields, user_code: 'BCDF-GHJK' } });
      expect(wrong.text).toContain('not valid');
      const entered = await browser.request(formOf(wrong.text).action, { form: { ...formOf(wrong.text).fields, user_code: start.body.user_code.toLowerCase() } });
      expect(entered.status).toBe(200);
      expect(entered.text).toContain('Acme Sync');
      expect(entered.text).toContain(start.body.user_code);
      const confirm = formOf(entered.text);
      let page = await browser.follow('', await browser.request(confirm.action, { form: { ...confirm.fields, confirm: 'yes' } }));
      const login = formOf(page.text);
      page = await browser.follow('', await browser.request(login.action, { form: { ...login.fields, login: ALICE.login, password: ALICE.password } }));
      expect(page.text).toContain('Connect to your storage as a network drive');
      const consent = formOf(page.text);
      page = await browser.follow('', await browser.request(consent.action, { form: { ...consent.fields, decision: 'allow' } }));
      expect(page.status).toBe(200);
      expect(page.text).toContain('is connected');

      const done = await poll();
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ token_type: 'Bearer', scope: 'dav file:read', refresh_token: expect.any(String) });
      const who = await get('/api/whoami', bearer(done.body.access_token));
      expect(await who.json()).toMatchObject({ login: 'alice', method: 'bearer', scopes: ['file:read', 'dav'] });
      // The device code works once.
      expect((await poll()).status).toBe(400);
    });
  });

  describe('kinds of clients', () => {
    it('a native application returns to its private-use scheme; one without redirect URIs uses the device flow only', async () => {
      const native = await oauthApplication(t, 'Native app', ['com.example.sync:/oauth/callback']);
      const a = await authorize(t.url, { clientId: native.id, redirectUri: native.redirectUri, scope: 'dav', ...ALICE });
      expect(a.callback.protocol).toBe('com.example.sync:');
      const res = await oauthPost(t.url, '/oauth/token', { grant_type: 'authorization_code', code: a.code!, redirect_uri: native.redirectUri, client_id: native.id, code_verifier: a.verifier });
      expect(res.status, JSON.stringify(res.body)).toBe(200);

      const cli = await oauthApplication(t, 'CLI', []);
      const code = await new Browser(t.url).request(`/oauth/auth?${new URLSearchParams({ response_type: 'code', client_id: cli.id, scope: 'dav', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`);
      expect(code.status).toBe(400);
      const device = await oauthPost(t.url, '/oauth/device/auth', { client_id: cli.id, scope: 'dav' });
      expect(device.status, JSON.stringify(device.body)).toBe(200);
    });
  });

  describe('confidential clients', () => {
    it('a client secret makes the application confidential: the token endpoint then wants it', async () => {
      const conf = await oauthApplication(t, 'Server app');
      const info = await conf.developer.get(`/api/apps/${conf.id}/oauth`);
      expect(info.body).toMatchObject({ clientId: conf.id, type: 'public', redirectUris: [REDIRECT_URI], issuer: t.config.publicUrl });
      const issued = await conf.developer.post(`/api/apps/${conf.id}/oauth/secret`);
      expect(issued.status, issued.text).toBe(201);
      const secret = issued.body.clientSecret as string;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await conf.developer.get(`/api/apps/${conf.id}/oauth`)).body).toMatchObject({ type: 'confidential', secretLast4: secret.slice(-4) });

      const a = await authorize(t.url, { clientId: conf.id, scope: 'file:read', ...ALICE });
      const exchange = (auth?: [string, string]) => oauthPost(t.url, '/oauth/token', { grant_type: 'authorization_code', code: a.code!, redirect_uri: REDIRECT_URI, code_verifier: a.verifier, ...(auth ? {} : { client_id: conf.id }) }, auth);
      expect((await exchange()).body.error).toBe('invalid_client');
      expect((await exchange([conf.id, 'wrong-secret'])).body.error).toBe('invalid_client');
      const ok = await exchange([conf.id, secret]);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect((await get('/api/whoami', bearer(ok.body.access_token))).status).toBe(200);
      // Another developer cannot touch it.
      expect((await alice.post(`/api/apps/${conf.id}/oauth/secret`)).status).toBe(404);
    });

    it('a new, replaced or deleted secret applies to the very next token request (client look-ups are remembered)', async () => {
      const c = await oauthApplication(t, 'Rotating app');
      const first = await tokens('file:read', ALICE, c); // a public client, looked up (and remembered)
      const refresh = (rt: string, auth?: [string, string]) => oauthPost(t.url, '/oauth/token', { grant_type: 'refresh_token', refresh_token: rt, ...(auth ? {} : { client_id: c.id }) }, auth);
      const secret1 = (await c.developer.post(`/api/apps/${c.id}/oauth/secret`)).body.clientSecret as string;
      expect((await refresh(first.refresh_token)).body.error).toBe('invalid_client');
      const r1 = await refresh(first.refresh_token, [c.id, secret1]);
      expect(r1.status, JSON.stringify(r1.body)).toBe(200);
      const secret2 = (await c.developer.post(`/api/apps/${c.id}/oauth/secret`)).body.clientSecret as string;
      expect((await refresh(r1.body.refresh_token, [c.id, secret1])).body.error).toBe('invalid_client');
      const r2 = await refresh(r1.body.refresh_token, [c.id, secret2]);
      expect(r2.status, JSON.stringify(r2.body)).toBe(200);
      expect((await c.developer.delete(`/api/apps/${c.id}/oauth/secret`)).status).toBe(204);
      expect((await refresh(r2.body.refresh_token, [c.id, secret2])).body.error).toBe('invalid_client');
      expect((await refresh(r2.body.refresh_token)).status).toBe(200);
    });
  });

  it('keeps no token in the database: only hashes and sealed payloads', async () => {
    const tk = await tokens('file:read');
    const { DataSource } = await import('typeorm');
    const ds = t.app.get(DataSource);
    const rows = (await ds.query('SELECT * FROM oauth_artifacts')) as Array<Record<string, unknown>>;
    expect(rows.length).toBeGreaterThan(0);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(tk.access_token);
    expect(dump).not.toContain(tk.refresh_token);
    expect(dump).not.toContain('file:read');
  });
});
