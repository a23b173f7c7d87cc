import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

interface RouteHooks {
  route: string;
  onRequest: string[];
  onSend: string[];
}

/** Each route's hooks (`/path (METHOD)`), from Fastify's own route tree. */
function routeHooks(fastify: FastifyInstance): RouteHooks[] {
  const routes: RouteHooks[] = [];
  const segments: string[] = [];
  let path = '';
  let current: RouteHooks | undefined;
  for (const line of fastify.printRoutes({ includeHooks: true, commonPrefix: false }).split('\n')) {
    const hook = line.match(/• \((\w+)\) (\[.*\])$/);
    if (hook) {
      if (current && (hook[1] === 'onRequest' || hook[1] === 'onSend')) current[hook[1]] = (JSON.parse(hook[2]!) as string[]).map((h) => h.replace('()', ''));
      continue;
    }
    const node = line.match(/^([│ ]*)(├── |└── )?(.*) \(([A-Z, ]+)\)$/);
    if (!node) continue;
    if (node[2]) {
      // A new node of the tree, its depth by its indentation; without a connector, another method of the same.
      const depth = node[1]!.length / 4;
      segments.length = depth;
      segments.push(node[3]!);
      path = segments.join('');
    }
    current = { route: `${path} (${node[4]})`, onRequest: [], onSend: [] };
    routes.push(current);
  }
  return routes;
}

/**
 * The per-request layers every route pays (issue 18): one onSend hook (the 401's challenge and
 * compression, registerCompression), Fastify's HEAD body drop after it; no cookie, compression or
 * streamed-body hook on routes that need none. What those layers do is tested where they act
 * (challenges, compression, login-csrf, web-pages, dav e2e specs; cookies.spec.ts).
 */
describe('per-request layers', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  let routes: RouteHooks[];

  beforeAll(async () => {
    t = await startTestApp();
    routes = routeHooks(t.app.getHttpAdapter().getInstance() as unknown as FastifyInstance);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists the service’s routes', () => {
    expect(routes.length).toBeGreaterThan(100);
    expect(routes.map((r) => r.route)).toEqual(expect.arrayContaining(['/api/whoami (GET)', '/api/file/upload (PUT)', '/auth/login (POST)', '/sign-in (GET, POST)']));
  });

  it('gives every route one onSend hook, and HEAD its body drop after it', () => {
    for (const r of routes) {
      // (Static files' HEAD routes are their own, without Fastify's drop.)
      const drop = r.route.endsWith('(HEAD)') && r.onSend.includes('headRouteOnSendHandler');
      expect(r.onSend, r.route).toEqual(drop ? ['portcullisOnSend', 'headRouteOnSendHandler'] : ['portcullisOnSend']);
    }
  });

  it('adds one onRequest hook of its own, and the streamed-body one only on @StreamedBody() routes', () => {
    const dav = '(OPTIONS, PUT, DELETE, MKCOL, PROPFIND, PROPPATCH, COPY, MOVE, LOCK, UNLOCK)';
    const streamed = ['/ (OPTIONS)', ...['/dav', '/backup', '/v2/dav'].flatMap((root) => [`${root} ${dav}`, `${root}* ${dav}`]), '/api/file/upload (PUT)', '/link/:token (PUT)', '/link/:token* (PUT)'];
    expect(routes.filter((r) => r.onRequest.includes('streamedBody')).map((r) => r.route).sort()).toEqual(streamed.sort());
    for (const r of routes) {
      // Nest's own (anonymous, and middie's), then the request id and accounting, then the route's.
      const own = r.onRequest.filter((h) => h !== 'anonymous' && h !== 'runMiddie');
      expect(own, r.route).toEqual(streamed.includes(r.route) ? ['startRequest', 'streamedBody'] : ['startRequest']);
    }
  });
});
