import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installCookies } from './cookies.js';

/**
 * installCookies keeps @fastify/cookie's behaviour (the plugin is the reference: each case runs on
 * both) without its onRequest and onSend hooks.
 */
describe('cookies without hooks', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  async function build(kind: 'ours' | 'plugin'): Promise<FastifyInstance> {
    const app = Fastify({ trustProxy: true });
    apps.push(app);
    if (kind === 'ours') installCookies(app);
    else await app.register(fastifyCookie);
    app.get('/read', async (req) => ({ cookies: req.cookies, again: req.cookies === req.cookies }));
    app.get('/set', async (_req, reply) => {
      reply.setCookie('session', 'first', { httpOnly: true, path: '/', maxAge: 60 });
      reply.setCookie('csrf', 'token', { httpOnly: false, path: '/', maxAge: 60, secure: 'auto' });
      // The same name, domain and path again: replaces the first, one line.
      reply.setCookie('session', 'second', { httpOnly: true, path: '/', maxAge: 60 });
      // Another path is another cookie.
      reply.cookie('session', 'scoped', { path: '/sign-in', expires: Date.UTC(2030, 0, 1) as unknown as Date });
      return { ok: true };
    });
    app.get('/clear', async (_req, reply) => {
      reply.clearCookie('session', { path: '/' }).clearCookie('csrf');
      return { ok: true };
    });
    app.get('/throws', async (_req, reply) => {
      reply.setCookie('attempt', 'x', { path: '/sign-in' });
      throw Object.assign(new Error('no'), { statusCode: 400 });
    });
    await app.ready();
    return app;
  }

  for (const kind of ['ours', 'plugin'] as const) {
    it(`${kind}: parses the Cookie header when read, an empty object without one`, async () => {
      const app = await build(kind);
      const res = await app.inject({ url: '/read', headers: { cookie: 'a=1; b=%20two; a=3' } });
      expect(res.json()).toEqual({ cookies: { a: '1', b: ' two' }, again: true });
      expect((await app.inject({ url: '/read' })).json()).toEqual({ cookies: {}, again: true });
    });

    it(`${kind}: writes one Set-Cookie line a cookie, the last of a name/domain/path winning, SameSite=Lax by default`, async () => {
      const app = await build(kind);
      const http = await app.inject({ url: '/set' });
      expect(http.headers['set-cookie']).toEqual([
        'session=second; Max-Age=60; Path=/; HttpOnly; SameSite=Lax',
        'csrf=token; Max-Age=60; Path=/; SameSite=Lax',
        'session=scoped; Path=/sign-in; Expires=Tue, 01 Jan 2030 00:00:00 GMT; SameSite=Lax',
      ]);
      // secure: 'auto' follows the request's protocol.
      const https = await app.inject({ url: '/set', headers: { 'x-forwarded-proto': 'https' } });
      expect((https.headers['set-cookie'] as string[])[1]).toBe('csrf=token; Max-Age=60; Path=/; Secure; SameSite=Lax');
    });

    it(`${kind}: clears with an expired empty cookie, path / by default`, async () => {
      const app = await build(kind);
      const res = await app.inject({ url: '/clear' });
      expect(res.headers['set-cookie']).toEqual([
        'session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax',
        'csrf=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax',
      ]);
    });

    it(`${kind}: a cookie set before an error still goes with the error answer`, async () => {
      const app = await build(kind);
      const res = await app.inject({ url: '/throws' });
      expect(res.statusCode).toBe(400);
      expect(res.headers['set-cookie']).toBe('attempt=x; Path=/sign-in; SameSite=Lax');
    });
  }

  it('adds no request hook: no onRequest or onSend on any route', async () => {
    const app = await build('ours');
    const routes = app.printRoutes({ includeHooks: true, commonPrefix: false });
    expect(routes).not.toMatch(/onRequest|preParsing|preValidation|preHandler/);
    // Only Fastify's own HEAD body drop.
    expect(routes.match(/\(onSend\).*/g)).toEqual(Array(4).fill('(onSend) ["headRouteOnSendHandler()"]'));
  });
});
