import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-request.js';
import { startApp, startTestApp, type TestApp } from '../support/test-app.js';
import { createTestEnv, type TestEnv } from '../support/test-env.js';

describe('foundation: sessions, operators, errors, health', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers liveness and readiness with a request id', async () => {
    const health = await t.client().get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ready = await t.client().get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', database: true, sharedState: true });
  });

  it('signs an operator in with JSON and with a form, setting HttpOnly SameSite cookies', async () => {
    const c = t.client();
    const res = await c.post('/auth/login', { json: { login: 'admin', password: 'operator-password-123' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ login: 'admin', role: 'admin' });
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((x) => x.startsWith('portcullis_session='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(session).not.toMatch(/Secure/i); // plain http on loopback
    expect(cookies.find((x) => x.startsWith('portcullis_csrf='))).not.toMatch(/HttpOnly/i);

    // A form needs the sign-in page's token (login CSRF): test/e2e/login-csrf.e2e-spec.ts.
    const page = await t.client().get('/sign-in');
    const token = /name="_signin" value="([^"]*)"/.exec(page.text)![1]!;
    const cookie = page.headers.getSetCookie().find((x) => x.startsWith('portcullis_signin='))!.split(';')[0]!;
    const form = await t.client().post('/auth/login', { form: { login: 'admin', password: 'operator-password-123', _signin: token }, headers: { cookie } });
    expect(form.status).toBe(200);
    expect((await t.client().post('/auth/login', { form: { login: 'admin', password: 'operator-password-123' } })).body.code).toBe('csrf_failed');
  });

  it('answers an unknown login and a wrong password the same way', async () => {
    const unknown = await t.client().post('/auth/login', { json: { login: 'nobody', password: 'whatever-password' } });
    const wrong = await t.client().post('/auth/login', { json: { login: 'admin', password: 'wrong-password' } });
    for (const res of [unknown, wrong]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', code: 'invalid_credentials', message: 'invalid login or password' });
    }
  });

  it('lets an operator create a legacy and a new account, list, get, suspend and delete them', async () => {
    const admin = await t.admin();
    const legacy = await admin.post('/api/admin/accounts', { json: { login: 'legacy.user', password: 'legacy-password', email: 'l@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect(legacy.status).toBe(201);
    expect(legacy.body).toMatchObject({ login: 'legacy.user', role: 'user', status: 'active', registeredAt: '2020-01-01T00:00:00.000Z' });
    expect(legacy.body).not.toHaveProperty('passwordHash');
    const fresh = await admin.post('/api/admin/accounts', { json: { login: 'new_user', password: 'new-user-password', email: 'n@example.com' } });
    expect(fresh.status).toBe(201);

    const dup = await admin.post('/api/admin/accounts', { json: { login: 'new_user', password: 'new-user-password', email: 'n@example.com' } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('login_taken');

    const list = await admin.get('/api/admin/accounts?limit=2');
    expect(list.status).toBe(200);
    expect(list.body.total).toBeGreaterThanOrEqual(3);
    expect(list.body.items.map((a: { login: string }) => a.login)).toEqual(['admin', 'legacy.user']);

    expect((await admin.get(`/api/admin/accounts/${fresh.body.id}`)).body.login).toBe('new_user');

    // The user can sign in, then not once suspended; the session they had stops too.
    const user = t.client();
    await user.login('new_user', 'new-user-password');
    const suspended = await admin.post(`/api/admin/accounts/${fresh.body.id}/suspend`);
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    expect((await t.client().post('/auth/login', { json: { login: 'new_user', password: 'new-user-password' } })).body.code).toBe('invalid_credentials');
    expect((await user.post('/auth/logout')).body.code).toBe('account_suspended');
    expect((await admin.get('/api/admin/accounts?status=suspended')).body.items.map((a: { login: string }) => a.login)).toEqual(['new_user']);

    expect((await admin.post(`/api/admin/accounts/${fresh.body.id}/unsuspend`)).body.status).toBe('active');
    expect((await admin.delete(`/api/admin/accounts/${fresh.body.id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/accounts/${fresh.body.id}`)).body.code).toBe('not_found');
  });

  it('refuses operator routes without a session (401) and to non-operators (403)', async () => {
    const none = await t.client().get('/api/admin/accounts');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('authentication_required');
    // A challenge (every 401 has one), of a scheme no browser answers with its password dialog.
    expect(none.headers.get('www-authenticate')).toBe('Cookie realm="Portcullis", form-action="/sign-in", cookie-name="portcullis_session"');

    const admin = await t.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'plain', password: 'plain-password', email: 'p@example.com' } });
    const user = t.client();
    await user.login('plain', 'plain-password');
    const res = await user.get('/api/admin/accounts');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('admin_required');
  });

  it('requires the CSRF token on state-changing cookie requests', async () => {
    const admin = await t.admin();
    const token = admin.csrfToken;
    admin.csrfToken = undefined;
    const res = await admin.post('/api/admin/accounts', { json: { login: 'csrf_victim', password: 'some-password', email: 'c@example.com' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
    const forged = await admin.post('/api/admin/accounts', { json: { login: 'csrf_victim', password: 'some-password', email: 'c@example.com' }, headers: { 'x-csrf-token': 'f'.repeat(64) } });
    expect(forged.body.code).toBe('csrf_failed');
    admin.csrfToken = token;
    expect((await admin.get('/api/admin/accounts?limit=1')).status).toBe(200); // reads need none
    expect((await admin.post('/auth/logout')).status).toBe(204);
    expect((await admin.get('/api/admin/accounts')).body.code).toBe('authentication_required');
  });

  it('records logins and operator changes in the audit log, without secrets', async () => {
    const admin = await t.admin();
    await t.client().post('/auth/login', { json: { login: 'admin', password: 'a-wrong-secret-123' } });
    const res = await admin.get('/api/admin/audit?login=admin&type=auth.login');
    expect(res.status).toBe(200);
    expect(res.body.some((e: { outcome: string; code: string }) => e.outcome === 'failure' && e.code === 'invalid_credentials')).toBe(true);
    expect(res.body.some((e: { outcome: string }) => e.outcome === 'success')).toBe(true);
    const all = await admin.get('/api/admin/audit?limit=1000');
    expect(all.body.some((e: { type: string }) => e.type === 'admin.account.create')).toBe(true);
    expect(all.text).not.toContain('a-wrong-secret-123');
    expect(all.text).not.toContain('legacy-password');
  });

  it('answers bad input with a 4xx and a code, never a 500', async () => {
    const admin = await t.admin();
    const malformed = await admin.post('/api/admin/accounts', { body: '{"login": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('malformed_json');

    const invalid = await admin.post('/api/admin/accounts', { json: { login: 'Bad-Login', password: 'x', email: 'nope', extra: 1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('validation_failed');
    expect(invalid.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'extra', 'login', 'password']);

    const huge = await admin.post('/api/admin/accounts', { json: { login: 'big', password: 'x'.repeat(2 * 1024 * 1024), email: 'b@example.com' } });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('payload_too_large');

    const media = await admin.post('/api/admin/accounts', { body: '<a/>', headers: { 'content-type': 'application/xml' } });
    expect(media.status).toBe(415);
    expect(media.body.code).toBe('unsupported_media_type');

    const route = await t.client().get('/no/such/route');
    expect(route.status).toBe(404);
    expect(route.body.code).toBe('not_found');

    const badId = await admin.get('/api/admin/accounts/not-a-uuid');
    expect(badId.status).toBe(400);
    expect(badId.body.code).toBe('bad_request');

    const badUrl = await rawRequest(`${t.url}/api/admin/%zz<script>`);
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.code).toBe('bad_request');
    expect(JSON.stringify(badUrl.body)).not.toContain('script');

    const badPaging = await admin.get('/api/admin/accounts?limit=100000');
    expect(badPaging.body.code).toBe('validation_failed');
  });

  it('serves Swagger UI at /docs and the document at /docs-json', async () => {
    const ui = await t.client().get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = await t.client().get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.components.securitySchemes).sort()).toEqual(['api_key', 'basic', 'bearer', 'otp', 'session']);
    expect(doc.body.paths['/api/admin/accounts'].post.security).toEqual([{ session: [] }]);
  });
});

describe('shutdown', () => {
  it('writes the audit events of the last moments before the process closes', async () => {
    const env = await createTestEnv();
    try {
      const first = await startApp(env.env);
      const res = await first.client().post('/auth/login', { json: { login: 'admin', password: 'just-before-close' } });
      expect(res.status).toBe(401);
      await first.close(); // no wait for the 250 ms timer: the close itself must write the batch
      const second = await startApp(env.env);
      try {
        const admin = await second.admin();
        const audit = await admin.get('/api/admin/audit?type=auth.login&login=admin');
        expect(audit.body.filter((e: { outcome: string }) => e.outcome === 'failure')).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      await env.dispose();
    }
  });
});
