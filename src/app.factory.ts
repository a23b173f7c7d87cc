import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installPassportRequestFields } from './access/credential-strategies.js';
import { rewriteMatrixUrl } from './api-keys/matrix-url.js';
import { AppModule } from './app.module.js';
import { AuditService } from './audit/audit.service.js';
import { installChallenges } from './auth/challenges.js';
import { sessionChallenge } from './auth/strategies/session.strategy.js';
import type { AppConfig } from './config/config.js';
import { AllExceptionsFilter } from './errors/all-exceptions.filter.js';
import { answerClientError, answerFrameworkError } from './errors/client-error.js';
import { registerCompression } from './common/http/compression.js';
import { installCookies } from './common/http/cookies.js';
import { installStreamedBodyParsing } from './common/http/streamed-body.js';
import { strictJsonBodyParser } from './common/http/strict-json.js';
import { sendContinueOnFirstRead } from './common/http/expect-continue.js';
import { isServerWideOptions } from './dav/dav-root.controller.js';
import { AppValidationPipe } from './errors/validation.pipe.js';
import { createLogger, lazyChildLogger, PinoNestLogger, RedactingLogController } from './logging/logger.js';
import { buildOpenApiDocument, setupSwaggerUi } from './openapi/openapi.js';
import { AccountingHook } from './stats/accounting.hook.js';

export interface CreateAppOptions {
  logger?: Logger;
  /** Idle time after which a connection is closed (default 120 s); tests of stalled clients shorten it. */
  idleTimeoutMs?: number;
  /** Modules to add to the service (a benchmark's baseline route); see AppModule.forRoot. */
  extraModules?: NonNullable<DynamicModule['imports']>;
}

/**
 * Builds the whole service (initialised, not yet listening): used by main.ts and by the e2e
 * tests, so that tests run exactly what production runs.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new RedactingLogController(),
    childLoggerFactory: lazyChildLogger as never,
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    // Matrix parameters (`/api;api_key=KEY/file/list`) are cut from the path BEFORE routing and kept
    // for the API-key step: the router matches literal paths, so `/api;api_key=…/…` would be an unknown
    // route, and no `;…` spelling of a path may reach a route without the policy of its plain path.
    // `OPTIONS *` (the server in general, RFC 9110 §9.3.7) is answered as `OPTIONS /` (DavRootController).
    rewriteUrl: (req: IncomingMessage) => (isServerWideOptions(req) ? '/' : rewriteMatrixUrl(req)),
    // Requests Node's parser refuses (no route ever sees them) still get the contract's error shape.
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    // A connection that sends and receives nothing for this long is closed (a stalled upload body,
    // a client that opened a socket and went quiet): a slow client is served, a silent one is not
    // held forever. Streaming transfers reset the clock with every chunk.
    connectionTimeout: options.idleTimeoutMs ?? 120_000,
    ...(config.tlsCertFile && config.tlsKeyFile
      ? { https: { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile), minVersion: 'TLSv1.2' as const } }
      : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options.extraModules), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // `100 Continue` only once a handler reads the body, i.e. after the guards (expect-continue.ts).
  sendContinueOnFirstRead(fastify.server);

  // One synchronous onRequest hook for what every request needs (issue 18: each hook of its own,
  // an async one above all, cost per request): its id, and its accounting (contract §7), before
  // anything that could answer it. The metrics count requests from the accounting's sample.
  const accounting = app.get(AccountingHook);
  accounting.install(fastify);
  fastify.addHook('onRequest', function startRequest(req, reply, done) {
    reply.header('x-request-id', req.id);
    accounting.start(req, reply);
    done();
  });
  // Every 401 names the ways in: the route's challenges, or on a sign-in form the session's
  // (run by each route's one onSend hook, registerCompression below).
  const challenge = installChallenges(fastify, sessionChallenge(config.basicRealm));
  // The fields Passport sets on the requests it authenticates, on every request from the start.
  installPassportRequestFields(fastify);
  // Fastify's onClose runs once in-flight requests are answered and while the database is still
  // open (Nest closes TypeORM before providers' onApplicationShutdown), so the audit log's last
  // batch is written here.
  fastify.addHook('onClose', async () => {
    await app.get(AuditService).flush();
  });

  // Cookies (sessions, CSRF, the sign-in attempt) parsed when read and written when set: no hook
  // on the many routes that use none (cookies.ts).
  installCookies(fastify);
  // `@StreamedBody()` routes' own onRequest hook; before any route exists.
  installStreamedBodyParsing(fastify);
  // Compressed answers (br/gzip) for clients that accept them; file content only with
  // COMPRESS_DOWNLOADS. Before any route exists: Nest's come at init(), Swagger UI's below.
  // Each route's one onSend hook also gives a 401 its challenge.
  await registerCompression(fastify, { compressDownloads: config.compressDownloads, everyAnswer: challenge });
  // JSON bodies: strict UTF-8, bounded depth, no prototype-pollution keys (see strict-json.ts). Set
  // before init(), so Nest does not register Fastify's default JSON parser.
  app.useBodyParser('application/json', { bodyLimit: config.bodyLimitBytes }, strictJsonBodyParser);

  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(new AppValidationPipe());
  app.enableShutdownHooks();

  setupSwaggerUi(app, buildOpenApiDocument(app));
  // Connections cut at shutdown (at the end of main.ts's grace period) emit their responses'
  // 'close' — when a request is accounted — in the event loop's close phase, after the server
  // reports closed: two turns of the loop let those land before the statistics and audit are
  // written. onClose hooks run last-registered first, so this one, registered after theirs, runs
  // before them (and after the server's own close, which Fastify registers at ready).
  fastify.addHook('onClose', (_instance, done) => void setImmediate(() => setImmediate(done)));
  // server.close() ends the keep-alive connections idle at that moment; one whose response was
  // still being written stays open, idle, for keepAliveTimeout (72 s) after it, holding the
  // shutdown past a supervisor's SIGKILL. While closing, idle connections are ended as they appear.
  fastify.addHook('preClose', (done) => {
    const server = fastify.server;
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
    done();
  });
  await app.init();
  return app;
}
