import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient, HttpResponse, RequestOptions } from '../support/http-client.js';
import { oauthApplication, type OAuthTestApp, tokensFor } from '../support/oauth.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

type Started = TestApp & { env: TestEnv; stop(): Promise<void> };
type Rule = { path: string; effect: 'allow' | 'deny' };

const allow = (path: string): Rule => ({ path, effect: 'allow' });
const deny = (path: string): Rule => ({ path, effect: 'deny' });

/** The manager: may manage sublogins, and use files except deleting them. */
const MGR_RULES = [allow('/sublogin/'), allow('/file/'), deny('/file/delete')];
/** A sibling with rights the manager lacks (WebDAV, statistics, deleting files). */
const WIDE_RULES = [allow('/file/'), allow('/dav/'), allow('/stat/')];
/** A sibling within the manager's rights. */
const NARROW_RULES = [allow('/file/list'), allow('/file/download/docs')];

/**
 * Issue 15, part 2: no escalation through sublogin management (contract §7.4). A sublogin allowed
 * the `sublogin` class, or an OAuth token, grants only rights it holds, manages only sublogins
 * within its rights, and never changes itself; a full login manages everything. Over real HTTP
 * on the real app, with Basic (and the API key it needs on /api/sublogin) and Bearer tokens.
 */
describe('sublogin management without escalation', () => {
  let t: Started;
  let alice: HttpClient;
  let admin: HttpClient;
  let app: OAuthTestApp;

  const password = (name: string) => `${name}-password-1`;
  /** A request as the sublogin `alice-<name>` with Basic, through the application's key. */
  const as = (name: string, opts: RequestOptions = {}, pw = password(name)): RequestOptions => ({ ...opts, basic: [`alice-${name}`, pw], headers: { 'x-api-key': app.key, ...opts.headers } });
  const whoami = (name: string, pw = password(name)) => t.client().get('/api/whoami', { basic: [`alice-${name}`, pw] });
  const rulesOf = async (name: string): Promise<Rule[]> => {
    const res = await alice.get(`/api/sublogin/rules?name=${name}`);
    expect(res.status, res.text).toBe(200);
    return res.body.rules;
  };
  const names = async (): Promise<string[]> => (await alice.get('/api/sublogin/list?limit=200')).body.items.map((s: { name: string }) => s.name);
  const stateOf = async (name: string) => (await alice.get('/api/sublogin/list?limit=200')).body.items.find((s: { name: string }) => s.name === name);
  const createAsAlice = async (name: string, rules: Rule[]) => {
    const res = await alice.post('/api/sublogin/create', { json: { name, password: password(name), rules } });
    expect(res.status, res.text).toBe(201);
  };
  function expectRefused(res: HttpResponse, code: 'sublogin_escalation' | 'sublogin_self', path?: string): void {
    expect(res.status, res.text).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, code });
    if (path !== undefined) {
      expect(res.body.details).toEqual({ path });
      expect(res.body.message).toContain(path);
    }
    expect(res.body).not.toHaveProperty('password');
    expect(res.body).not.toHaveProperty('rules');
  }

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'alice', password: 'alice-login-password', email: 'alice@example.com' } })).status).toBe(201);
    alice = t.client();
    await alice.login('alice', 'alice-login-password');
    app = await oauthApplication(t, 'Escalation probe');
    await createAsAlice('mgr', MGR_RULES);
    await createAsAlice('wide', WIDE_RULES);
    await createAsAlice('narrow', NARROW_RULES);
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('a sublogin allowed the sublogin class', () => {
    it('cannot create a sublogin with rights it lacks: 403 sublogin_escalation naming the path, nothing created', async () => {
      const before = await names();
      const cases: Array<[string, Rule[], string]> = [
        ['davstat', [allow('/dav/'), allow('/stat/')], '/dav'],
        ['statonly', [allow('/file/list'), allow('/stat/traffic')], '/stat/traffic'],
        // `/file/` is within `/file/` but not within `/file/` minus `/file/delete`.
        ['allfiles', [allow('/file/')], '/file/delete'],
        ['deletetmp', [allow('/file/delete/tmp')], '/file/delete/tmp'],
        // A deny does not make up for an allow elsewhere.
        ['mixed', [allow('/backup/'), deny('/backup/delete')], '/backup'],
      ];
      for (const [name, rules, path] of cases) {
        const res = await t.client().post('/api/sublogin/create', as('mgr', { json: { name, password: password(name), rules } }));
        expectRefused(res, 'sublogin_escalation', path);
        expect((await whoami(name)).status, name).toBe(401);
      }
      expect(await names()).toEqual(before);
    });

    it('creates a sublogin with a subset of its rights', async () => {
      const rules = [allow('/file/list'), allow('/file/upload/inbox'), deny('/file/list/private'), allow('/sublogin/list')];
      const res = await t.client().post('/api/sublogin/create', as('mgr', { json: { name: 'helper', rules } }));
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({ name: 'helper', login: 'alice-helper', rules });
      expect(typeof res.body.password).toBe('string');
      expect((await whoami('helper', res.body.password)).status).toBe(200);
      expect(await rulesOf('helper')).toEqual(rules);
      // The same rights exactly are within them, too.
      const same = await t.client().post('/api/sublogin/create', as('mgr', { json: { name: 'twin', password: password('twin'), rules: MGR_RULES } }));
      expect(same.status, same.text).toBe(201);
    });

    it('cannot replace its own rules, even with narrower ones: 403 sublogin_self, unchanged', async () => {
      for (const rules of [[allow('/sublogin/'), allow('/file/'), allow('/dav/'), allow('/stat/')], [allow('/sublogin/')]]) {
        const res = await t.client().put('/api/sublogin/rules', as('mgr', { json: { name: 'mgr', rules } }));
        expectRefused(res, 'sublogin_self');
        expect(res.body.message).toContain('alice-mgr');
      }
      expect(await rulesOf('mgr')).toEqual(MGR_RULES.map((r) => ({ ...r, path: r.path.replace(/\/$/, '') })));
    });

    it('cannot change its own enabled flag or password, nor delete itself; may read its own rules', async () => {
      const updatedAt = (await stateOf('mgr')).updatedAt;
      for (const change of [{ enabled: false }, { password: 'mgr-password-2' }, { generatePassword: true }, {}]) {
        expectRefused(await t.client().post('/api/sublogin/update', as('mgr', { json: { name: 'mgr', ...change } })), 'sublogin_self');
      }
      expectRefused(await t.client().post('/api/sublogin/delete', as('mgr', { json: { name: 'mgr' } })), 'sublogin_self');
      expect(await stateOf('mgr')).toMatchObject({ enabled: true, updatedAt });
      expect((await whoami('mgr')).status).toBe(200);
      expect((await whoami('mgr', 'mgr-password-2')).status).toBe(401);
      const own = await t.client().get('/api/sublogin/rules?name=mgr', as('mgr'));
      expect(own.status, own.text).toBe(200);
      expect((await t.client().get('/api/sublogin/check?name=mgr&path=/file/delete/x', as('mgr'))).body).toMatchObject({ allowed: false });
    });

    it("cannot reset a wider sibling's password with generatePassword: 403, no password, the old one still works", async () => {
      expect((await whoami('wide')).status).toBe(200); // in the verification cache now
      const updatedAt = (await stateOf('wide')).updatedAt;
      const res = await t.client().post('/api/sublogin/update', as('mgr', { json: { name: 'wide', generatePassword: true } }));
      expectRefused(res, 'sublogin_escalation', '/dav');
      expect(res.text).not.toMatch(/[2-9a-km-np-z]{4}(-[2-9a-km-np-z]{4}){6}/);
      const chosen = await t.client().post('/api/sublogin/update', as('mgr', { json: { name: 'wide', password: 'taken-over-1' } }));
      expectRefused(chosen, 'sublogin_escalation', '/dav');
      expectRefused(await t.client().post('/api/sublogin/update', as('mgr', { json: { name: 'wide', enabled: false } })), 'sublogin_escalation', '/dav');
      expect((await whoami('wide')).status).toBe(200);
      expect((await whoami('wide', 'taken-over-1')).status).toBe(401);
      expect(await stateOf('wide')).toMatchObject({ enabled: true, updatedAt });
    });

    it('cannot read the rules of, check, replace the rules of, or delete a wider sibling', async () => {
      const read = await t.client().get('/api/sublogin/rules?name=wide', as('mgr'));
      expectRefused(read, 'sublogin_escalation', '/dav');
      expect(read.text).not.toContain('/stat');
      expectRefused(await t.client().get('/api/sublogin/check?name=wide&path=/dav/read/x', as('mgr')), 'sublogin_escalation', '/dav');
      // Even narrowing it is managing it.
      expectRefused(await t.client().put('/api/sublogin/rules', as('mgr', { json: { name: 'wide', rules: [allow('/file/list')] } })), 'sublogin_escalation', '/dav');
      expectRefused(await t.client().post('/api/sublogin/delete', as('mgr', { json: { name: 'wide' } })), 'sublogin_escalation', '/dav');
      expect(await names()).toContain('wide');
      expect(await rulesOf('wide')).toEqual(WIDE_RULES.map((r) => ({ ...r, path: r.path.replace(/\/$/, '') })));
      expect((await whoami('wide')).status).toBe(200);
    });

    it('a sibling lacking a deny the manager has is wider too', async () => {
      // `twin` holds exactly the manager's rights; a sibling allowed all files is not within them.
      await createAsAlice('files', [allow('/file/')]);
      expectRefused(await t.client().post('/api/sublogin/update', as('mgr', { json: { name: 'files', generatePassword: true } })), 'sublogin_escalation', '/file/delete');
      const twin = await t.client().post('/api/sublogin/update', as('mgr', { json: { name: 'twin', generatePassword: true } }));
      expect(twin.status, twin.text).toBe(200);
    });

    it('manages a sibling within its rights: reads, resets its password, replaces its rules within its own, deletes it', async () => {
      const read = await t.client().get('/api/sublogin/rules?name=narrow', as('mgr'));
      expect(read.status, read.text).toBe(200);
      expect(read.body.rules).toEqual(NARROW_RULES);
      expect((await t.client().get('/api/sublogin/check?name=narrow&path=/file/list/a', as('mgr'))).body).toMatchObject({ allowed: true });

      const reset = await t.client().post('/api/sublogin/update', as('mgr', { json: { name: 'narrow', generatePassword: true } }));
      expect(reset.status, reset.text).toBe(200);
      expect((await whoami('narrow')).status).toBe(401);
      expect((await whoami('narrow', reset.body.password)).status).toBe(200);

      // Widening it beyond the manager is refused, and leaves it as it was.
      expectRefused(await t.client().put('/api/sublogin/rules', as('mgr', { json: { name: 'narrow', rules: [allow('/file/list'), allow('/dav/read')] } })), 'sublogin_escalation', '/dav/read');
      expect(await rulesOf('narrow')).toEqual(NARROW_RULES);
      const narrower = await t.client().put('/api/sublogin/rules', as('mgr', { json: { name: 'narrow', rules: [allow('/file/list/docs')] } }));
      expect(narrower.status, narrower.text).toBe(200);
      expect(await rulesOf('narrow')).toEqual([allow('/file/list/docs')]);

      expect((await t.client().post('/api/sublogin/delete', as('mgr', { json: { name: 'narrow' } }))).status).toBe(204);
      expect(await names()).not.toContain('narrow');
    });

    it('audits every refusal with the sublogin as actor, the code and the path, and no secret', async () => {
      // Audit events are written in batches: wait for this test's to land.
      await expect.poll(async () => (await admin.get('/api/admin/audit?type=sublogin.refused&limit=1000')).body.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(21);
      const events = await admin.get('/api/admin/audit?type=sublogin.refused&limit=1000');
      expect(events.status).toBe(200);
      const refused = events.body as Array<{ actor: string; login: string; code: string; outcome: string; detail: { name: string; action: string; path?: string } }>;
      for (const e of refused) expect(e).toMatchObject({ actor: 'alice-mgr', outcome: 'failure' });
      expect(refused).toContainEqual(expect.objectContaining({ login: 'alice-wide', code: 'sublogin_escalation', detail: { name: 'wide', action: 'update', path: '/dav' } }));
      expect(refused).toContainEqual(expect.objectContaining({ login: 'alice-davstat', code: 'sublogin_escalation', detail: { name: 'davstat', action: 'create', path: '/dav' } }));
      expect(refused).toContainEqual(expect.objectContaining({ login: 'alice-mgr', code: 'sublogin_self', detail: { name: 'mgr', action: 'replace-rules' } }));
      expect(events.text).not.toContain('taken-over-1');
      expect(events.text).not.toContain('mgr-password-2');
    });
  });

  describe('a full login', () => {
    it('manages every sublogin, whatever its rights', async () => {
      await createAsAlice('full', [allow('/dav/'), allow('/backup/'), allow('/stat/'), allow('/sublogin/')]);
      const reset = await alice.post('/api/sublogin/update', { json: { name: 'wide', generatePassword: true } });
      expect(reset.status, reset.text).toBe(200);
      expect((await whoami('wide', reset.body.password)).status).toBe(200);
      expect((await alice.post('/api/sublogin/update', { json: { name: 'wide', password: password('wide') } })).status).toBe(200);
      expect((await alice.get('/api/sublogin/rules?name=wide')).status).toBe(200);
      expect((await alice.get('/api/sublogin/check?name=wide&path=/dav/read/x')).body).toMatchObject({ allowed: true });
      expect((await alice.put('/api/sublogin/rules', { json: { name: 'mgr', rules: [...MGR_RULES, allow('/stat/traffic')] } })).status).toBe(200);
      expect((await alice.put('/api/sublogin/rules', { json: { name: 'mgr', rules: MGR_RULES } })).status).toBe(200);
      expect((await alice.post('/api/sublogin/delete', { json: { name: 'full' } })).status).toBe(204);
    });

    it('through Basic too (the account, not a sublogin)', async () => {
      const enabled = await alice.post('/api/me/app-connection/enable');
      expect(enabled.status).toBe(200);
      const res = await t.client().post('/api/sublogin/create', { basic: ['alice', enabled.body.password], headers: { 'x-api-key': app.key }, json: { name: 'viabasic', rules: [allow('/dav/')] } });
      expect(res.status, res.text).toBe(201);
    });
  });

  describe('a Bearer token: its scopes ∩ its user', () => {
    const bearer = (token: string, opts: RequestOptions = {}): RequestOptions => ({ ...opts, headers: { authorization: `Bearer ${token}`, 'x-api-key': app.key, ...opts.headers } });

    it("of the full login: grants and manages only within its scopes", async () => {
      const tk = await tokensFor(t.url, { clientId: app.id, scope: 'sublogin file:read', login: 'alice', password: 'alice-login-password' });
      const within = await t.client().post('/api/sublogin/create', bearer(tk.access_token, { json: { name: 'bytoken', password: password('bytoken'), rules: [allow('/file/list'), allow('/file/download/docs')] } }));
      expect(within.status, within.text).toBe(201);
      // `file:read` is list, info and download: not the whole class, not uploads.
      expectRefused(await t.client().post('/api/sublogin/create', bearer(tk.access_token, { json: { name: 'tokenwide', rules: [allow('/file/')] } })), 'sublogin_escalation', '/file');
      expectRefused(await t.client().post('/api/sublogin/create', bearer(tk.access_token, { json: { name: 'tokenwide', rules: [allow('/file/upload')] } })), 'sublogin_escalation', '/file/upload');
      expect(await names()).not.toContain('tokenwide');
      // The account may do anything, but this token may not: a sibling allowed all files is out of reach.
      const reset = await t.client().post('/api/sublogin/update', bearer(tk.access_token, { json: { name: 'wide', generatePassword: true } }));
      expectRefused(reset, 'sublogin_escalation', '/file');
      expect(reset.body.message).toContain('token');
      expect((await whoami('wide')).status).toBe(200);
      expectRefused(await t.client().get('/api/sublogin/rules?name=wide', bearer(tk.access_token)), 'sublogin_escalation', '/file');
      // Within its scopes, it manages.
      const own = await t.client().post('/api/sublogin/update', bearer(tk.access_token, { json: { name: 'bytoken', generatePassword: true } }));
      expect(own.status, own.text).toBe(200);
      expect((await whoami('bytoken', own.body.password)).status).toBe(200);
    });

    it("of a sublogin: never beyond the sublogin, nor beyond the token's scopes", async () => {
      const tk = await tokensFor(t.url, { clientId: app.id, scope: 'sublogin file:read file:delete', login: 'alice-mgr', password: password('mgr') });
      // In the token's scopes (`file:delete`) but outside the sublogin's rules.
      expectRefused(await t.client().post('/api/sublogin/create', bearer(tk.access_token, { json: { name: 'viasub', rules: [allow('/file/delete/tmp')] } })), 'sublogin_escalation', '/file/delete/tmp');
      // In the sublogin's rules (`/file/upload`) but outside the token's scopes.
      expectRefused(await t.client().post('/api/sublogin/create', bearer(tk.access_token, { json: { name: 'viasub', rules: [allow('/file/upload')] } })), 'sublogin_escalation', '/file/upload');
      // `twin` holds the sublogin's rights, which are more than this token's.
      expectRefused(await t.client().get('/api/sublogin/rules?name=twin', bearer(tk.access_token)), 'sublogin_escalation', '/file');
      // Itself, through its token: no.
      expectRefused(await t.client().put('/api/sublogin/rules', bearer(tk.access_token, { json: { name: 'mgr', rules: [] } })), 'sublogin_self');
      const ok = await t.client().post('/api/sublogin/create', bearer(tk.access_token, { json: { name: 'viasub', password: password('viasub'), rules: [allow('/file/list/docs')] } }));
      expect(ok.status, ok.text).toBe(201);
      expect(await rulesOf('viasub')).toEqual([allow('/file/list/docs')]);
    });
  });
});
