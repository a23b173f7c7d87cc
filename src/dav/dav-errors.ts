import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG } from '../config/app-config.token.js';
import type { AppConfig } from '../config/config.js';
import { sendError } from '../errors/all-exceptions.filter.js';
import { DomainError } from '../errors/domain-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { DavPathError } from './core/dav-path.js';
import { DavHeaderError } from './core/header-syntax.js';
import { davErrorXml } from './core/multistatus.js';
import { DavXmlError } from './core/xml-request.js';

/**
 * A WebDAV refusal. Where RFC 4918 names a precondition (§16: `lock-token-submitted`,
 * `no-conflicting-lock`, `propfind-finite-depth`, ...) the answer is its XML error body, as
 * clients expect; otherwise the contract's JSON error (contract §8) with `code`.
 */
export class DavError extends DomainError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly precondition?: string,
    /** Decoded hrefs inside the precondition element (e.g. the root of the lock in the way). */
    readonly hrefs: readonly string[] = [],
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message, headers);
    this.name = 'DavError';
  }
}

const XML_CODE: Readonly<Record<DavXmlError['status'], ErrorCode>> = {
  400: 'bad_request',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
};

/**
 * The core parsers' errors as contract errors; anything else unchanged. An XML error's own
 * message may quote the body (the parser's detail), so the client gets only the reason.
 */
export function toDavDomainError(err: unknown): unknown {
  if (err instanceof DavXmlError) return new DomainError(XML_CODE[err.status], `invalid WebDAV request body: ${err.reason.replaceAll('_', ' ')}`);
  if (err instanceof DavHeaderError) return new DomainError('bad_request', err.message);
  if (err instanceof DavPathError) return new DomainError('path_invalid', err.message);
  return err;
}

/**
 * Errors of the DAV mounts, guards' included. Like the global filter (never a stack trace, 500s
 * logged), plus: RFC 4918 XML bodies for preconditions, and a Bearer challenge (RFC 6750 §3) on
 * any `/v2/dav/` 401 that carries none (the Bearer strategy sets its own; this covers an app
 * built without it), so a client always learns how to authenticate there.
 */
@Catch()
export class DavExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('DavErrors');
  private readonly bearerChallenge: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.bearerChallenge = `Bearer realm="${config.basicRealm}"`;
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    let err = toDavDomainError(exception);
    if (err instanceof DavError && err.precondition !== undefined && !reply.sent && !reply.raw.headersSent) {
      void reply
        .headers(err.headers)
        .code(err.status)
        .type('application/xml; charset=utf-8')
        .send(davErrorXml(err.precondition, err.hrefs));
      return;
    }
    if (err instanceof DomainError && err.status === 401 && !err.headers['WWW-Authenticate'] && request.url.startsWith('/v2/')) {
      err = new DomainError(err.code, err.message, { ...err.headers, 'WWW-Authenticate': this.bearerChallenge }, err.details);
    }
    sendError(reply, err, (e) => this.logger.error({ err: e, reqId: request.id }, 'unexpected error'));
  }
}
