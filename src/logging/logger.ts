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
    const log = reply.log;
    if (!(log as unknown as Logger).isLevelEnabled(error ? 'error' : 'info')) return;
    const line = { method: req.method, url: redactUrl(req.originalUrl ?? req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) log.error({ ...line, err: error }, 'request errored');
    else log.info(line, 'request');
  }
}

const CHILD = Symbol('child');

/**
 * A request's logger (Fastify's `req.log`), made a pino child (with the request id) only when a
 * line is written: pino builds a child's bindings (serialised, with redaction) at once, which cost
 * every request a few microseconds for a logger that mostly writes nothing (issue 18).
 */
class LazyRequestLogger {
  private [CHILD]: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  private get real(): Logger {
    return (this[CHILD] ??= this.parent.child(this.bindings));
  }
  get level(): string {
    return this.parent.level;
  }
  isLevelEnabled(level: string): boolean {
    return this.parent.isLevelEnabled(level);
  }
  child(bindings: Record<string, unknown>, options?: object): Logger {
    return this.real.child(bindings, options);
  }
  fatal(...args: unknown[]): void {
    if (this.parent.isLevelEnabled('fatal')) (this.real.fatal as (...a: unknown[]) => void)(...args);
  }
  error(...args: unknown[]): void {
    if (this.parent.isLevelEnabled('error')) (this.real.error as (...a: unknown[]) => void)(...args);
  }
  warn(...args: unknown[]): void {
    if (this.parent.isLevelEnabled('warn')) (this.real.warn as (...a: unknown[]) => void)(...args);
  }
  info(...args: unknown[]): void {
    if (this.parent.isLevelEnabled('info')) (this.real.info as (...a: unknown[]) => void)(...args);
  }
  debug(...args: unknown[]): void {
    if (this.parent.isLevelEnabled('debug')) (this.real.debug as (...a: unknown[]) => void)(...args);
  }
  trace(...args: unknown[]): void {
    if (this.parent.isLevelEnabled('trace')) (this.real.trace as (...a: unknown[]) => void)(...args);
  }
  silent(): void {}
}

/** Fastify's `childLoggerFactory`: request loggers that become pino children on first use. */
export function lazyChildLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return new LazyRequestLogger(logger, bindings) as unknown as Logger;
}
