import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBody, ApiConsumes } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';

const STREAMED_BODY = 'portcullisStreamedBody';
// A private media type that only the pass-through parser below answers to.
const STREAM_CONTENT_TYPE = 'application/x-portcullis-streamed-body';

/**
 * Marks a route whose request body is file content: it is neither parsed nor buffered, whatever
 * its Content-Type (a `.json` file uploaded as `application/json` is stored as sent), and the
 * handler reads it as a stream with `@BodyStream()`. Needs `installStreamedBodyParsing()`.
 */
export function StreamedBody(): MethodDecorator {
  return applyDecorators(
    RouteConfig({ [STREAMED_BODY]: true }),
    ApiConsumes('application/octet-stream'),
    ApiBody({ description: 'The file content, any media type, streamed', schema: { type: 'string', format: 'binary' } }),
  );
}

/** The unread request body of a `@StreamedBody()` route. */
export const BodyStream = createParamDecorator((_: unknown, ctx: ExecutionContext): Readable => {
  const body = ctx.switchToHttp().getRequest<FastifyRequest>().body;
  if (!(body instanceof Readable)) throw new Error('@BodyStream() used on a route without @StreamedBody()');
  return body;
});

const installed = new WeakSet<object>();

/**
 * Fastify chooses a body parser by Content-Type per server, not per route, and the JSON and form
 * parsers buffer. So `@StreamedBody()` routes get an onRequest hook of their own (before any hook
 * that reads the body) that makes parsing see a private media type whose parser hands the request
 * stream through untouched. The client's own header stays readable on `req.raw.headers`; every
 * other route parses exactly as before, and pays nothing (issue 18: the hook was global, asking
 * every request's route config). Installed by app.factory.ts before any route exists (an `onRoute`
 * hook sees only later routes); the modules' own calls are then no-ops. Idempotent.
 */
export function installStreamedBodyParsing(fastify: FastifyInstance): void {
  if (installed.has(fastify)) return;
  installed.add(fastify);
  fastify.addContentTypeParser(STREAM_CONTENT_TYPE, (_req, payload, done) => done(null, payload));
  fastify.addHook('onRoute', (route) => {
    if ((route.config as Record<string, unknown> | undefined)?.[STREAMED_BODY] !== true) return;
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [streamedBody, ...own];
  });
}

function streamedBody(req: FastifyRequest, _reply: unknown, done: () => void): void {
  // The setter adds to, not replaces, the raw headers (Fastify's request.headers).
  req.headers = { 'content-type': STREAM_CONTENT_TYPE };
  done();
}
