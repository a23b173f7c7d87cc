import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ValidationError } from 'class-validator';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/config.js';
import { AllExceptionsFilter } from './errors/all-exceptions.filter.js';
import { DomainError } from './errors/domain-error.js';
import { createLogger, PinoNestLogger, RedactingLogController } from './logging/logger.js';
import { buildOpenApiDocument, setupSwaggerUi } from './openapi/openapi.js';

export interface CreateAppOptions {
  logger?: Logger;
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
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    ...(config.tlsCertFile && config.tlsKeyFile
      ? { https: { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile), minVersion: 'TLSv1.2' as const } }
      : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;

  fastify.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(fastifyCookie as never);

  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors: ValidationError[]) =>
        new DomainError('validation_failed', 'request is not valid', {}, errors.map((e) => ({ field: e.property, problems: Object.values(e.constraints ?? {}) }))),
    }),
  );
  app.enableShutdownHooks();

  setupSwaggerUi(app, buildOpenApiDocument(app));
  await app.init();
  return app;
}
