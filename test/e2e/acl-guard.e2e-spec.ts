import fastifyCookie from '@fastify/cookie';
import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsService } from '../../src/accounts/accounts.service.js';
import { ensureBootstrapAdmin } from '../../src/accounts/bootstrap-admin.js';
import { aclSpecificOf } from '../../src/acl/acl-specific.js';
import { Acl, AclResource } from '../../src/acl/acl.decorators.js';
import { AppModule } from '../../src/app.module.js';
import { Auth, CurrentPrincipal, Public } from '../../src/auth/auth.decorators.js';
import { type Principal, principalLogin } from '../../src/auth/principal.js';
import { loadConfig } from '../../src/config/config.js';
import { AllExceptionsFilter } from '../../src/errors/all-exceptions.filter.js';
import { SubloginsService } from '../../src/sublogins/sublogins.service.js';
import { HttpClient } from '../support/http-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestEnv, type TestEnv } from '../support/test-env.js';
import { approvedApplication } from '../support/api-key.js';

type Started = TestApp & { env: TestEnv; stop(): Promise<void> };
type Rule = { path: string; effect: 'allow' | 'deny' };

/**
 * The access pipeline's ACL step with real sublogin principals (Basic), on the real app's ACL-classed routes
 * (`/api/sublogin/*`, class `sublogin`).
 */
describe('the ACL step on the real app (sublogins authenticated with Basic)', () => {
  let t: Started;
  let alice: HttpClient;
  let apiKey: string;

  // Basic on /api/sublogin needs an application's API key (contract §4.3).
  const asSub = (name: string) => ({ basic: [`alice-${name}`, `${name}-password-1`] as [string, string], headers: { 'x-api-key': apiKey } });
  const setRules = async (name: string, rules: Rule[]) => expect((await alice.put('/api/sublogin/rules', { json: { name, rules } })).status).toBe(200);

  beforeAll(async () => {
    t = await startTestApp();
    apiKey = (await approvedApplication(t)).key;
    const admin = await t.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'alice', password: 'alice-login-password', email: 'a@example.com' } })).status).toBe(201);
    alice = t.client();
    await alice.login('alice', 'alice-login-password');
    for (const name of ['ops', 'other']) expect((await alice.post('/api/sublogin/create', { json: { name, password: `${name}-password-1` } })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('runs after the credential step: no credentials is a 401 challenge, not an ACL answer', async () => {
    const res = await t.client().get('/api/sublogin/list');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('authentication_required');
    expect(res.headers.get('www-authenticate')).toContain('Basic realm=');
  });

  it('denies a sublogin without rules everything, naming the denied canonical path', async () => {
    const res = await t.client().get('/api/sublogin/list', asSub('ops'));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, code: 'acl_denied' });
    expect(res.body.message).toContain('/sublogin/list');
    const create = await t.client().post('/api/sublogin/create', { ...asSub('ops'), json: { name: 'sneaky', rules: [{ path: '/file/', effect: 'allow' }] } });
    expect(create.status).toBe(403);
    expect(create.body.message).toContain('/sublogin/create/sneaky');
    expect((await alice.get('/api/sublogin/list')).body.items.map((s: { name: string }) => s.name)).toEqual(['ops', 'other']);
  });

  it('lets a sublogin do exactly what its most specific rules allow, per target sublogin', async () => {
    await setRules('ops', [
      { path: '/sublogin/rules', effect: 'allow' },
      { path: '/sublogin/rules/other', effect: 'deny' },
      { path: '/sublogin/check/other', effect: 'allow' },
    ]);
    const own = await t.client().get('/api/sublogin/rules?name=ops', asSub('ops'));
    expect(own.status).toBe(200);
    expect(own.body.rules).toHaveLength(3);
    const other = await t.client().get('/api/sublogin/rules?name=other', asSub('ops'));
    expect(other.status).toBe(403);
    expect(other.body.message).toContain('/sublogin/rules/other');
    expect((await t.client().get('/api/sublogin/check?name=other&path=/file/list', asSub('ops'))).status).toBe(200);
    expect((await t.client().get('/api/sublogin/check?name=ops&path=/file/list', asSub('ops'))).status).toBe(403);
    // Reading rules is not replacing them: a separate action.
    const put = await t.client().put('/api/sublogin/rules', { ...asSub('ops'), json: { name: 'ops', rules: [{ path: '/sublogin/', effect: 'allow' }] } });
    expect(put.status).toBe(403);
    expect(put.body.message).toContain('/sublogin/replace-rules/ops');
  });

  it('applies a rule change to the next request (the cached resolver is dropped)', async () => {
    expect((await t.client().get('/api/sublogin/rules?name=ops', asSub('ops'))).status).toBe(200);
    await setRules('ops', [{ path: '/sublogin/rules/ops', effect: 'deny' }, { path: '/sublogin/', effect: 'allow' }]);
    expect((await t.client().get('/api/sublogin/rules?name=ops', asSub('ops'))).status).toBe(403);
    expect((await t.client().get('/api/sublogin/list', asSub('ops'))).status).toBe(200);
    await setRules('ops', []);
    expect((await t.client().get('/api/sublogin/list', asSub('ops'))).status).toBe(403);
  });

  it('decides every spelling of a target as its canonical form; a target no request could name is 400 path_invalid', async () => {
    await setRules('ops', [{ path: '/sublogin/rules', effect: 'allow' }, { path: '/sublogin/rules/other', effect: 'deny' }]);
    // `%6Fther` in the query decodes to `other` before the guard sees it: still denied.
    expect((await t.client().get('/api/sublogin/rules?name=%6Fther', asSub('ops'))).status).toBe(403);
    // `..` as a name would climb above the action: refused for the sublogin and the customer alike.
    for (const res of [await t.client().get('/api/sublogin/rules?name=..', asSub('ops')), await alice.get('/api/sublogin/rules?name=..')]) {
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('path_invalid');
    }
  });

  it('allows a full login everything on its own sublogins, also through Basic', async () => {
    const enabled = await alice.post('/api/me/app-connection/enable');
    expect(enabled.status).toBe(200);
    const password = enabled.body.password as string;
    const res = await t.client().get('/api/sublogin/list', { basic: ['alice', password], headers: { 'x-api-key': apiKey } });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
  });
});

/** A test-only ACL-classed controller: the guard's path building on file-like routes. */
@Auth('basic', 'session')
@AclResource('file')
@Controller('probe/file')
class ProbeFileController {
  @Get('read')
  @Acl('file', 'read', { specific: (req) => aclSpecificOf((req.query as { path?: unknown }).path) })
  read(@Query('path') path: string, @CurrentPrincipal() p: Principal): { read: string; by: string } {
    return { read: path, by: principalLogin(p) };
  }

  @Post('move')
  @HttpCode(200)
  @Acl('file', 'move', {
    specific: (req: FastifyRequest) => {
      const body = req.body as { from?: unknown; to?: unknown };
      return [aclSpecificOf(body.from) ?? '', aclSpecificOf(body.to) ?? ''];
    },
  })
  move(@Body() body: { from: string; to: string }): { moved: string[] } {
    return { moved: [body.from, body.to] };
  }

  @Get('open')
  @Public()
  @Acl('file', 'list')
  open(): { open: true } {
    return { open: true };
  }
}

describe('the ACL step on a test-only file controller', () => {
  let env: TestEnv;
  let app: NestFastifyApplication;
  let url: string;
  let session: HttpClient;

  const sub = () => ({ basic: ['dana-worker', 'worker-password-1'] as [string, string] });
  const client = () => new HttpClient(url);

  beforeAll(async () => {
    env = await createTestEnv();
    const config = loadConfig(env.env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)], controllers: [ProbeFileController] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.register(fastifyCookie as never);
    app.useGlobalFilters(new AllExceptionsFilter());
    await app.init();
    await ensureBootstrapAdmin(app.get(AccountsService), config);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.getHttpServer().address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}`;

    const dana = await app.get(AccountsService).create({ login: 'dana', password: 'dana-login-password', email: 'd@example.com' });
    const actor = { principal: { method: 'session' as const, account: { id: dana.id, login: dana.login, role: dana.role }, sublogin: null, application: null, scopes: null } };
    await app.get(SubloginsService).create(actor, {
      name: 'worker',
      password: 'worker-password-1',
      rules: [
        { path: '/file/read/pub', effect: 'allow' },
        { path: '/file/move/tmp', effect: 'allow' },
        { path: '/file/move/tmp/locked', effect: 'deny' },
      ],
    });
    session = client();
    await session.login('dana', 'dana-login-password');
  });
  afterAll(async () => {
    await app?.close();
    await env?.dispose();
  });

  it('allows a sublogin what its rules allow and denies the rest, naming the canonical path', async () => {
    const ok = await client().get('/probe/file/read?path=pub/a.txt', sub());
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ read: 'pub/a.txt', by: 'dana-worker' });
    const denied = await client().get('/probe/file/read?path=priv/a.txt', sub());
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'acl_denied', message: expect.stringContaining('/file/read/priv/a.txt') });
    // No rule for the bare action either.
    expect((await client().get('/probe/file/read', sub())).body.message).toContain('access to /file/read is denied');
  });

  it('decides a spelling as its canonical form: no spelling reaches what is denied', async () => {
    const sneaky = await client().get(`/probe/file/read?path=${encodeURIComponent('pub/../priv/a.txt')}`, sub());
    expect(sneaky.status).toBe(403);
    expect(sneaky.body.message).toContain('/file/read/priv/a.txt');
    expect((await client().get(`/probe/file/read?path=${encodeURIComponent('/pub//./x/../a.txt')}`, sub())).status).toBe(200);
    // A backslash is a separator to some clients and file systems: refused inside a name.
    const hidden = await client().get(`/probe/file/read?path=${encodeURIComponent('pub/..\\..\\priv')}`, sub());
    expect(hidden.status).toBe(400);
    expect(hidden.body.code).toBe('path_invalid');
    const climb = await client().get(`/probe/file/read?path=${encodeURIComponent('../../delete/x')}`, sub());
    expect(climb.status).toBe(400);
    expect(climb.body.code).toBe('path_invalid');
  });

  it('requires every specific path of a request to be allowed (both ends of a move)', async () => {
    expect((await client().post('/probe/file/move', { ...sub(), json: { from: 'tmp/a', to: 'tmp/b' } })).status).toBe(200);
    const out = await client().post('/probe/file/move', { ...sub(), json: { from: 'tmp/a', to: 'keep/b' } });
    expect(out.status).toBe(403);
    expect(out.body.message).toContain('/file/move/keep/b');
    const locked = await client().post('/probe/file/move', { ...sub(), json: { from: 'tmp/locked/a', to: 'tmp/b' } });
    expect(locked.status).toBe(403);
    expect(locked.body.message).toContain('/file/move/tmp/locked/a');
  });

  it('lets the full login through, and a public route without any principal', async () => {
    expect((await session.get('/probe/file/read?path=priv/a.txt')).body).toEqual({ read: 'priv/a.txt', by: 'dana' });
    expect((await session.post('/probe/file/move', { json: { from: 'keep/a', to: 'tmp/locked/b' } })).status).toBe(200);
    // Paths are canonicalised for everyone, so a bad one is refused the same way.
    expect((await session.get(`/probe/file/read?path=${encodeURIComponent('../../x')}`)).body.code).toBe('path_invalid');
    const open = await client().get('/probe/file/open');
    expect(open.status).toBe(200);
    expect(open.body).toEqual({ open: true });
  });
});
