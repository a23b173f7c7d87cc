import { type ErrorCode, statusOf } from './error-codes.js';

/**
 * The one error type services throw. It carries a contract code; the global filter turns it
 * into `{ statusCode, error, code, message }`. `headers` lets an error add what its status
 * requires (a challenge for 401, Retry-After for 429) without the filter knowing each case.
 */
export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly details?: unknown,
  ) {
    super(message ?? code.replaceAll('_', ' '));
    this.name = 'DomainError';
    this.status = statusOf(code);
  }
}
