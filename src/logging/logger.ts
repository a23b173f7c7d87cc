import type { LoggerService } from '@nestjs/common';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { type Logger, pino } from 'pino';

/** Query and matrix credentials (`api_key`, `otp`) are cut from every URL that is logged (contract §4.3). */
const CREDENTIAL_PARAM = /([;?&](?:api_key|otp|access_token)=)[^;&/?#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(CREDENTIAL_PARAM, '$1[redacted]');
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    // Belt and braces: should a header object ever be logged, its secrets are not.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'req.headers["x-teracloud-api-key"]', 'headers.authorization', 'headers.cookie', 'password', '*.password'],
      censor: '[redacted]',
    },
  });
}

/** Nest's own messages go to the same pino logger as the request lines. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    this.write('error', message, context);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, context?: string): void {
    if (typeof message === 'object' && message !== null) this.pino[level]({ context, ...(message as object) });
    else this.pino[level]({ context }, String(message));
  }
}

/**
 * Fastify's request logging, reduced to one line a request with credentials cut from the URL
 * (Fastify's default logs the raw URL, `?otp=` and `;api_key=` included).
 */
export class RedactingLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const line = { method: req.method, url: redactUrl(req.originalUrl ?? req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }
}
