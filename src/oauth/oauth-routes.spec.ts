import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { mountOAuthProvider } from './oauth-http.js';
import { OAUTH_MOUNTED_ROUTES } from './oauth-routes.js';

describe('OAUTH_MOUNTED_ROUTES (the route table\'s rows for the provider)', () => {
  it('are exactly the routes mountOAuthProvider serves', async () => {
    const fastify = Fastify();
    mountOAuthProvider(fastify, async () => undefined, loadConfig({}));
    await fastify.ready();
    for (const { method, path } of OAUTH_MOUNTED_ROUTES) expect(fastify.hasRoute({ method: method as 'GET', url: path }), `${method} ${path}`).toBe(true);
    // Nothing more: each mounted path answers no method the table leaves out.
    for (const path of new Set(OAUTH_MOUNTED_ROUTES.map((r) => r.path))) {
      const declared = new Set(OAUTH_MOUNTED_ROUTES.filter((r) => r.path === path).map((r) => r.method));
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const) expect(fastify.hasRoute({ method, url: path }), `${method} ${path}`).toBe(declared.has(method));
    }
    await fastify.close();
  });
});
