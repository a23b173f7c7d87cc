import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RULES_PER_SUBLOGIN } from '../../src/acl/rule-set.js';
import type { HttpClient } from '../support/http-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

type Started = TestApp & { env: TestEnv; stop(): Promise<void> };
type Rule = { path: string; effect: 'allow' | 'deny' };

const GENERATED_PASSWORD = /^[2-9a-km-np-z]{4}(-[2-9a-km-np-z]{4}){6}$/;

describe('sublogins API (/api/sublogin, customer session)', () => {
  let t: Started;
  let admin: HttpClient;
  let alice: HttpClient;
  let bob: HttpClient;

  async function customer(login: string): Promise<HttpClient> {
    const res = await admin.post('/api/admin/accounts', { json: { login, password: `${login}-login-password`, email: `${login}@example.com` } });
    expect(res.status).toBe(201);
    const c = t.client();
    await c.login(login, `${login}-login-password`);
    return c;
  }

  const whoami = (login: string, password: string) => t.client().get('/api/whoami', { basic: [login, password] });

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.admin();
    alice = await customer('alice');
    bob = await customer('bob');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates a sublogin with a generated password shown once, or with the password sent, and lists them', async () => {
    const generated = await alice.post('/api/sublogin/create', { json: { name: 'backup' } });
    expect(generated.status).toBe(201);
    expect(generated.body).toMatchObject({ name: 'backup', login: 'alice-backup', enabled: true, lastUsedAt: null, lastUsedIp: null, rules: [] });
    expect(generated.body.password).toMatch(GENERATED_PASSWORD);
    expect(Object.keys(generated.body).sort()).toEqual(['allowedRanges', 'createdAt', 'enabled', 'expiresAt', 'lastUsedAt', 'lastUsedIp', 'login', 'name', 'password', 'rules', 'updatedAt']);

    const chosen = await alice.post('/api/sublogin/create', { json: { name: 'reader', password: 'reader-password-1', rules: [{ path: '/FILE/List/', effect: 'allow' }] } });
    expect(chosen.status).toBe(201);
    expect(chosen.body).not.toHaveProperty('password'); // the customer's own choice is not echoed
    expect(chosen.body.rules).toEqual([{ path: '/file/list', effect: 'allow' }]);

    // The sublogins authenticate with those passwords (the Basic strategy's SubloginLookup).
    const who = await whoami('alice-backup', generated.body.password);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ login: 'alice-backup', account: 'alice', sublogin: 'backup', method: 'basic' });
    expect((await whoami('alice-reader', 'reader-password-1')).status).toBe(200);

    const list = await alice.get('/api/sublogin/list');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 2, offset: 0, limit: 50 });
    expect(list.body.items.map((s: { name: string; ruleCount: number }) => [s.name, s.ruleCount])).toEqual([
      ['backup', 0],
      ['reader', 1],
    ]);
    // Last use is recorded and shown to the owner (contract §4.1).
    await expect
      .poll(async () => (await alice.get('/api/sublogin/list')).body.items[0], { timeout: 2_000 })
      .toMatchObject({ name: 'backup', lastUsedIp: '127.0.0.1', lastUsedAt: expect.any(String) });
    for (const res of [generated, chosen, list]) expect(res.text).not.toMatch(/hash|box|\$argon2/i);
  });

  it('pages the list', async () => {
    const page = await alice.get('/api/sublogin/list?offset=1&limit=1');
    expect(page.body).toMatchObject({ total: 2, offset: 1, limit: 1 });
    expect(page.body.items.map((s: { name: string }) => s.name)).toEqual(['reader']);
    expect((await alice.get('/api/sublogin/list?limit=0')).body.code).toBe('validation_failed');
  });

  it('refuses a name that exists (409 login_taken) and names that do not match the pattern', async () => {
    const dup = await alice.post('/api/sublogin/create', { json: { name: 'backup', password: 'another-password' } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('login_taken');
    for (const name of ['Backup', 'with-dash', '.dot', '', 'a'.repeat(33), 'ünï']) {
      const res = await alice.post('/api/sublogin/create', { json: { name } });
      expect(res.status, name).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
    expect((await alice.post('/api/sublogin/create', { json: { name: 'x', password: 'short' } })).body.code).toBe('validation_failed');
    expect((await alice.post('/api/sublogin/create', { json: { name: 'x', password: 'has\nnewline-in-it' } })).body.code).toBe('validation_failed');
    expect((await alice.post('/api/sublogin/create', { json: { name: 'x', extra: true } })).body.code).toBe('validation_failed');
    // The longest name: a 32-character name makes a 38-character login.
    const longest = await alice.post('/api/sublogin/create', { json: { name: `a${'b'.repeat(31)}`, password: 'longest-password' } });
    expect(longest.status).toBe(201);
    expect((await alice.post('/api/sublogin/delete', { json: { name: longest.body.name } })).status).toBe(204);
  });

  it('disables, re-enables and changes the password, each effective at once', async () => {
    const disabled = await alice.post('/api/sublogin/update', { json: { name: 'reader', enabled: false } });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ name: 'reader', enabled: false });
    expect(disabled.body).not.toHaveProperty('password');
    // The verification cache held the credential: the change dropped it.
    expect((await whoami('alice-reader', 'reader-password-1')).status).toBe(401);

    const changed = await alice.post('/api/sublogin/update', { json: { name: 'reader', enabled: true, password: 'reader-password-2' } });
    expect(changed.body).toMatchObject({ enabled: true });
    expect(changed.body).not.toHaveProperty('password');
    expect((await whoami('alice-reader', 'reader-password-1')).status).toBe(401);
    expect((await whoami('alice-reader', 'reader-password-2')).status).toBe(200);

    const regenerated = await alice.post('/api/sublogin/update', { json: { name: 'reader', generatePassword: true } });
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.password).toMatch(GENERATED_PASSWORD);
    expect((await whoami('alice-reader', 'reader-password-2')).status).toBe(401);
    expect((await whoami('alice-reader', regenerated.body.password)).status).toBe(200);

    const both = await alice.post('/api/sublogin/update', { json: { name: 'reader', password: 'reader-password-3', generatePassword: true } });
    expect(both.status).toBe(400);
    expect(both.body.code).toBe('validation_failed');
    const unknown = await alice.post('/api/sublogin/update', { json: { name: 'nobody', enabled: false } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
    // Nothing to change is not an error.
    expect((await alice.post('/api/sublogin/update', { json: { name: 'reader' } })).status).toBe(200);
  });

  it('replaces the rules and reads them back canonical, in the order written', async () => {
    const rules: Rule[] = [
      { path: '/file/', effect: 'allow' },
      { path: '/File/Delete', effect: 'deny' },
      { path: '/file/delete/tmp/', effect: 'allow' },
      { path: '/stat/traffic', effect: 'allow' },
      { path: '/file/list/Mixed Case/ü', effect: 'deny' },
    ];
    const put = await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules } });
    expect(put.status).toBe(200);
    const canonical = [
      { path: '/file', effect: 'allow' },
      { path: '/file/delete', effect: 'deny' },
      { path: '/file/delete/tmp', effect: 'allow' },
      { path: '/stat/traffic', effect: 'allow' },
      { path: '/file/list/Mixed Case/ü', effect: 'deny' },
    ];
    expect(put.body).toEqual({ name: 'reader', rules: canonical });
    expect((await alice.get('/api/sublogin/rules?name=reader')).body).toEqual({ name: 'reader', rules: canonical });
    expect((await alice.get('/api/sublogin/list')).body.items.find((s: { name: string }) => s.name === 'reader').ruleCount).toBe(5);

    // A replacement replaces: nothing of the old set remains.
    const replaced = await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules: [{ path: '/dav/read', effect: 'allow' }] } });
    expect(replaced.body.rules).toEqual([{ path: '/dav/read', effect: 'allow' }]);
    expect((await alice.get('/api/sublogin/rules?name=reader')).body.rules).toEqual([{ path: '/dav/read', effect: 'allow' }]);
    expect((await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules: [] } })).body.rules).toEqual([]);
    expect((await alice.get('/api/sublogin/rules?name=reader')).body.rules).toEqual([]);
  });

  it('check answers the decision on the canonical path and names the rule that decided (contract §6 example)', async () => {
    const rules: Rule[] = [
      { path: '/file/', effect: 'allow' },
      { path: '/file/delete', effect: 'deny' },
      { path: '/file/delete/tmp', effect: 'allow' },
    ];
    expect((await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules } })).status).toBe(200);
    const check = async (path: string) => {
      const res = await alice.get(`/api/sublogin/check?name=reader&path=${encodeURIComponent(path)}`);
      expect(res.status, path).toBe(200);
      return res.body;
    };
    expect(await check('/file/list/docs')).toEqual({ allowed: true, path: '/file/list/docs', rule: { path: '/file', effect: 'allow' } });
    expect(await check('/file/delete/docs/a.txt')).toEqual({ allowed: false, path: '/file/delete/docs/a.txt', rule: { path: '/file/delete', effect: 'deny' } });
    expect(await check('/file/delete/tmp/a.txt')).toEqual({ allowed: true, path: '/file/delete/tmp/a.txt', rule: { path: '/file/delete/tmp', effect: 'allow' } });
    expect(await check('/stat/traffic')).toEqual({ allowed: false, path: '/stat/traffic', rule: null });
    // Every spelling is decided as its canonical form.
    expect(await check('/FILE/Delete//tmp/./x/../a.txt')).toMatchObject({ allowed: true, path: '/file/delete/tmp/a.txt' });
    expect(await check('/file/delete/tmp/../docs/a.txt')).toMatchObject({ allowed: false, path: '/file/delete/docs/a.txt' });
    expect(await check('/file/delete/%74mp/a.txt')).toMatchObject({ allowed: true, path: '/file/delete/tmp/a.txt' });
    expect(await check('/file/delete;jsessionid=1/tmp/a.txt')).toMatchObject({ allowed: true, path: '/file/delete/tmp/a.txt' });

    for (const bad of ['/file/read/../../stat', 'file/list', '/nope/x', '/file/a%2Fb/x', '/file/read/%zz']) {
      const res = await alice.get(`/api/sublogin/check?name=reader&path=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.code).toBe('path_invalid');
    }
    expect((await alice.get('/api/sublogin/check?name=nobody&path=/file/list')).body.code).toBe('not_found');
    expect((await alice.get('/api/sublogin/check?name=reader')).body.code).toBe('validation_failed');
  });

  it('refuses invalid rules with 400 acl_rule_invalid naming them, and changes nothing', async () => {
    const before = (await alice.get('/api/sublogin/rules?name=reader')).body.rules;
    const cases: Array<[string, string]> = [
      ['/file/../stat', 'dot_segment'],
      ['/file/./x', 'dot_segment'],
      ['', 'empty'],
      ['/', 'missing_class'],
      ['/file//x', 'empty_segment'],
      ['/mail/', 'unknown_class'],
      ['file/list', 'not_absolute'],
      ['/file/read/my%20dir', 'percent_in_rule'],
      [`/file/read/${'x'.repeat(1100)}`, 'too_long'],
    ];
    for (const [path, reason] of cases) {
      const res = await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules: [{ path: '/stat/', effect: 'allow' }, { path, effect: 'deny' }] } });
      expect(res.status, path).toBe(400);
      expect(res.body.code).toBe('acl_rule_invalid');
      expect(res.body.message).toContain('rule 1');
      expect(res.body.details[0]).toMatchObject({ index: 1, reason });
    }
    const conflict = await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules: [{ path: '/file/', effect: 'allow' }, { path: '/file', effect: 'deny' }] } });
    expect(conflict.body.code).toBe('acl_rule_invalid');
    const onCreate = await alice.post('/api/sublogin/create', { json: { name: 'never', rules: [{ path: '/file/..', effect: 'allow' }] } });
    expect(onCreate.status).toBe(400);
    expect(onCreate.body.code).toBe('acl_rule_invalid');
    expect((await alice.get('/api/sublogin/list')).body.items.map((s: { name: string }) => s.name)).not.toContain('never');
    // Shape errors are validation errors.
    expect((await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules: [{ path: '/file/', effect: 'maybe' }] } })).body.code).toBe('validation_failed');
    expect((await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules: [{ path: 7, effect: 'allow' }] } })).body.code).toBe('validation_failed');
    expect((await alice.put('/api/sublogin/rules', { json: { name: 'reader', rules: 'all' } })).body.code).toBe('validation_failed');
    expect((await alice.put('/api/sublogin/rules', { json: { name: 'reader' } })).body.code).toBe('validation_failed');

    expect((await alice.get('/api/sublogin/rules?name=reader')).body.rules).toEqual(before);
  });

  it(`accepts ${MAX_RULES_PER_SUBLOGIN} rules, decides among them by the most specific, and refuses one more`, async () => {
    const rules: Rule[] = Array.from({ length: MAX_RULES_PER_SUBLOGIN }, (_, i) => ({ path: `/file/read/d${i}`, effect: i % 2 ? 'deny' : 'allow' }));
    const put = await alice.put('/api/sublogin/rules', { json: { name: 'backup', rules } });
    expect(put.status).toBe(200);
    expect(put.body.rules).toHaveLength(MAX_RULES_PER_SUBLOGIN);
    const read = await alice.get('/api/sublogin/rules?name=backup');
    expect(read.body.rules).toHaveLength(MAX_RULES_PER_SUBLOGIN);
    expect(read.body.rules[9_999]).toEqual({ path: '/file/read/d9999', effect: 'deny' });

    const check = (path: string) => alice.get(`/api/sublogin/check?name=backup&path=${encodeURIComponent(path)}`);
    expect((await check('/file/read/d0/x')).body).toEqual({ allowed: true, path: '/file/read/d0/x', rule: { path: '/file/read/d0', effect: 'allow' } });
    // The last rules decide their own subtrees, each by its own rule. (The resolver walks the path's
    // segments whatever the rule count; that is not timed here: a bound on a round trip measures the
    // machine's load, and bench/ measures speed.)
    for (let n = 9_990; n < 10_000; n++) {
      const res = await check(`/file/read/d${n}/a/b/c`);
      expect(res.body).toEqual({ allowed: n % 2 === 0, path: `/file/read/d${n}/a/b/c`, rule: { path: `/file/read/d${n}`, effect: n % 2 ? 'deny' : 'allow' } });
    }
    expect((await check('/file/read/elsewhere')).body).toMatchObject({ allowed: false, rule: null });

    const tooMany = await alice.put('/api/sublogin/rules', { json: { name: 'backup', rules: [...rules, { path: '/stat/', effect: 'allow' }] } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.code).toBe('acl_rule_invalid');
    expect(tooMany.body.message).toContain(`at most ${MAX_RULES_PER_SUBLOGIN}`);
    expect((await alice.get('/api/sublogin/rules?name=backup')).body.rules).toHaveLength(MAX_RULES_PER_SUBLOGIN);
    expect((await alice.get('/api/sublogin/list')).body.items.find((s: { name: string }) => s.name === 'backup').ruleCount).toBe(MAX_RULES_PER_SUBLOGIN);
  });

  it("keeps customers apart: another customer's sublogin is invisible, and the same name is free for them", async () => {
    expect((await bob.get('/api/sublogin/list')).body).toMatchObject({ items: [], total: 0 });
    const attempts = [
      await bob.get('/api/sublogin/rules?name=reader'),
      await bob.get('/api/sublogin/check?name=reader&path=/file/list'),
      await bob.post('/api/sublogin/update', { json: { name: 'reader', enabled: false } }),
      await bob.put('/api/sublogin/rules', { json: { name: 'reader', rules: [{ path: '/file/', effect: 'allow' }] } }),
      await bob.post('/api/sublogin/delete', { json: { name: 'reader' } }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'not_found', message: 'no sublogin named reader' });
    }
    const own = await bob.post('/api/sublogin/create', { json: { name: 'reader', password: 'bobs-reader-pw' } });
    expect(own.status).toBe(201);
    expect(own.body.login).toBe('bob-reader');
    // Alice's sublogin is untouched by all of that.
    expect((await alice.get('/api/sublogin/list')).body.items.find((s: { name: string }) => s.name === 'reader')).toMatchObject({ enabled: true, login: 'alice-reader' });
  });

  it('deletes a sublogin and its rules; it stops authenticating at once', async () => {
    const created = await alice.post('/api/sublogin/create', { json: { name: 'temp', password: 'temp-password-1', rules: [{ path: '/file/', effect: 'allow' }] } });
    expect(created.status).toBe(201);
    expect((await whoami('alice-temp', 'temp-password-1')).status).toBe(200);
    const del = await alice.post('/api/sublogin/delete', { json: { name: 'temp' } });
    expect(del.status).toBe(204);
    expect((await whoami('alice-temp', 'temp-password-1')).status).toBe(401);
    expect((await alice.get('/api/sublogin/list')).body.items.map((s: { name: string }) => s.name)).not.toContain('temp');
    expect((await alice.post('/api/sublogin/delete', { json: { name: 'temp' } })).status).toBe(404);
    // Re-created under the same name, it starts from nothing: no rules survive the deletion.
    const again = await alice.post('/api/sublogin/create', { json: { name: 'temp', password: 'temp-password-2' } });
    expect(again.body.rules).toEqual([]);
    expect((await alice.get('/api/sublogin/check?name=temp&path=/file/list')).body).toEqual({ allowed: false, path: '/file/list', rule: null });
  });

  it('audits every change with the customer as actor and no secret', async () => {
    const events = await admin.get('/api/admin/audit?login=alice-reader&limit=1000');
    expect(events.status).toBe(200);
    const types = events.body.filter((e: { type: string }) => e.type.startsWith('sublogin.')).map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['sublogin.create', 'sublogin.update', 'sublogin.rules']));
    for (const e of events.body.filter((x: { type: string }) => x.type.startsWith('sublogin.'))) {
      expect(e).toMatchObject({ actor: 'alice', login: 'alice-reader', outcome: 'info', ip: '127.0.0.1' });
    }
    type Event = { type: string; detail: { changed?: string[] } };
    const passwordChange = events.body.find((e: Event) => e.type === 'sublogin.update' && e.detail.changed?.includes('password'));
    expect(passwordChange.detail).toMatchObject({ name: 'reader', changed: ['password'] });
    const deleted = await admin.get('/api/admin/audit?login=alice-temp&type=sublogin.delete');
    expect(deleted.body).toHaveLength(1);
    const all = await admin.get('/api/admin/audit?limit=1000');
    for (const secret of ['reader-password-1', 'reader-password-2', 'temp-password-1', 'bobs-reader-pw', '$argon2']) expect(all.text).not.toContain(secret);
  });

  it('refuses requests without a session or CSRF token', async () => {
    const none = await t.client().get('/api/sublogin/list');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('authentication_required');
    const token = alice.csrfToken;
    alice.csrfToken = undefined;
    try {
      expect((await alice.post('/api/sublogin/create', { json: { name: 'csrf' } })).body.code).toBe('csrf_failed');
    } finally {
      alice.csrfToken = token;
    }
  });

  it("deletes a customer's sublogins with the customer", async () => {
    const carol = await customer('carol');
    expect((await carol.post('/api/sublogin/create', { json: { name: 'cam', password: 'carol-cam-pw', rules: [{ path: '/file/', effect: 'allow' }] } })).status).toBe(201);
    expect((await whoami('carol-cam', 'carol-cam-pw')).status).toBe(200);
    const id = (await admin.get('/api/admin/accounts?limit=500')).body.items.find((a: { login: string }) => a.login === 'carol').id;
    expect((await admin.delete(`/api/admin/accounts/${id}`)).status).toBe(204);
    expect((await whoami('carol-cam', 'carol-cam-pw')).status).toBe(401);
  });
});
