import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLoopback } from '../auth/tls-policy.js';
import type { AppConfig } from '../config/config.js';
import { sendError } from '../errors/all-exceptions.filter.js';
import { DomainError } from '../errors/domain-error.js';
import { OAUTH_PREFIX } from './oauth-provider.js';

/** RFC 8414 §3: the metadata of the issuer PUBLIC_URL (no path), and the OpenID name of the same document. */
export const METADATA_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'] as const;
const PROVIDER_DISCOVERY = `${OAUTH_PREFIX}/.well-known/openid-configuration`;

type NodeCallback = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Hands `/oauth/*` (and the metadata) to oidc-provider's node callback, on the raw request and
 * response (the provider is a Koa app). Done with Fastify routes, registered in a plugin of their
 * own, rather than a Nest controller or a middleware:
 * - the router stays in charge: our own pages under `/oauth/interaction/…` are Nest routes and,
 *   being more specific, win over this wildcard; every other path is untouched;
 * - in this plugin no content-type parser reads the body (the one catch-all parser leaves the
 *   stream alone), so the provider parses it itself, as it expects;
 * - Fastify's onRequest hooks (request id, accounting) still run; the reply is hijacked.
 *
 * Credentials travel only over TLS (contract §2): the same policy as every other credential route.
 * Koa believes X-Forwarded-* (`provider.proxy`), so they are overwritten with what Fastify
 * concluded under TRUST_PROXY: a client cannot make the provider see another scheme, host or IP.
 */
export function mountOAuthProvider(fastify: FastifyInstance, callback: NodeCallback, config: AppConfig): void {
  const forward = (req: FastifyRequest, reply: FastifyReply, target: string): void => {
    const raw = req.raw as IncomingMessage & { originalUrl?: string };
    reply.hijack();
    raw.headers['x-forwarded-proto'] = req.protocol;
    raw.headers['x-forwarded-host'] = req.host;
    raw.headers['x-forwarded-for'] = req.ip;
    // Express-style mounting: the provider derives its mount path (for the URLs it writes) from these.
    raw.originalUrl = target;
    raw.url = target.slice(OAUTH_PREFIX.length) || '/';
    reply.raw.setHeader('x-request-id', String(req.id));
    challengeUnauthorized(reply.raw, config.basicRealm);
    callback(raw, reply.raw).catch((err: unknown) => {
      req.log.error({ err }, 'OAuth provider failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}');
      else reply.raw.destroy();
    });
  };

  void fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    scope.route({
      method: ['GET', 'POST', 'OPTIONS'],
      url: `${OAUTH_PREFIX}/*`,
      handler: (req, reply) => {
        if (!(req.protocol === 'https' || config.allowInsecureHttp || isLoopback(req.ip))) {
          sendError(reply, new DomainError('tls_required', 'credentials are accepted over HTTPS only'), () => undefined);
          return;
        }
        forward(req, reply, req.raw.url ?? req.url);
      },
    });
    for (const path of METADATA_PATHS) {
      scope.route({ method: ['GET', 'OPTIONS'], url: path, handler: (req, reply) => forward(req, reply, PROVIDER_DISCOVERY) });
    }
  });
}

/**
 * The provider answers `401 invalid_client` with a Basic challenge only when the client sent an
 * Authorization header; every 401 must carry one (RFC 9110 §11.6.1, RFC 6749 §5.2), so the others
 * get the client-authentication challenge too. The reply is hijacked, so this sits on the raw
 * response: Koa's end() writes the head through writeHead.
 */
function challengeUnauthorized(res: ServerResponse, realm: string): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    if (statusCode === 401 && !this.hasHeader('www-authenticate')) this.setHeader('WWW-Authenticate', `Basic realm="${realm}"`);
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
  } as typeof res.writeHead;
}
