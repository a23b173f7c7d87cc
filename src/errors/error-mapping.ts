import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable } from './database-errors.js';
import { DomainError } from './domain-error.js';
import type { ErrorCode } from './error-codes.js';
import { type ErrorBody, errorBody } from './error-response.js';

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Readonly<Record<string, string>>;
  /** Unexpected errors are logged with their stack; expected ones are not. */
  unexpected: boolean;
}

/**
 * Fastify's own errors (raised before a handler runs) and what they mean for a client. Their
 * messages can echo the request (a bad URL, a content type), so a fixed message goes out instead.
 */
const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'this content type is not accepted here' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', message: 'request body is not valid JSON' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_request', message: 'the URL is not valid (bad percent-encoding?)' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad_request', message: 'the request does not match any route constraint' },
};

/** What a 503 for a database that cannot be reached suggests: the pool's connect timeout. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'authentication_required',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  411: 'length_required',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  416: 'range_not_satisfiable',
  429: 'too_many_requests',
};

/** Turns anything thrown into the contract's error shape; internals never leak. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof DomainError) {
    return { status: err.status, body: errorBody(err.status, err.code, err.message, err.details), headers: err.headers, unexpected: false };
  }
  if (err instanceof HttpException) {
    // Nest wraps Fastify's own errors (body parsing, limits); the wrapped one says more.
    if (err.cause instanceof Error && typeof (err.cause as { code?: unknown }).code === 'string') {
      const inner = toErrorResponse(err.cause);
      if (!inner.unexpected) return inner;
    }
    const status = err.getStatus();
    const code = HTTP_STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
    const message = status === 404 ? 'no such route' : status >= 500 ? 'internal error' : err.message;
    return { status, body: errorBody(status, code, message), headers: {}, unexpected: status >= 500 };
  }
  // The database lost, restarting or refusing connections: the same request may succeed in a
  // moment (/ready says when). Still logged, since an operator must see an outage.
  if (isDatabaseUnavailable(err)) {
    return {
      status: 503,
      body: errorBody(503, 'service_unavailable', 'the database cannot be reached right now; try again shortly'),
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      unexpected: true,
    };
  }
  const fastifyCode = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  if (fastifyCode) {
    const mapped = FASTIFY_CODES[fastifyCode];
    if (mapped) return { status: mapped.status, body: errorBody(mapped.status, mapped.code, mapped.message), headers: {}, unexpected: false };
  }
  // The JSON body parser throws a SyntaxError carrying status 400.
  if (err instanceof SyntaxError && (err as { statusCode?: number }).statusCode === 400) {
    return { status: 400, body: errorBody(400, 'malformed_json', 'request body is not valid JSON'), headers: {}, unexpected: false };
  }
  // Fastify client errors we did not list (still a 4xx of its own making).
  const statusCode = (err as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = HTTP_STATUS_CODES[statusCode] ?? 'bad_request';
    return { status: statusCode, body: errorBody(statusCode, code, code.replaceAll('_', ' ')), headers: {}, unexpected: false };
  }
  return { status: 500, body: errorBody(500, 'internal_error', 'internal error'), headers: {}, unexpected: true };
}
