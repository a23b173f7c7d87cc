import { CannotExecuteNotConnectedError, ConnectionIsNotSetError } from 'typeorm';

/** Socket errors: the server (or the way to it) is not there. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs that say "not now" rather than "not this": class 08 (connection
 * exception), 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now: a restart or a
 * fail-over), 53300 (too many connections).
 */
const SQLSTATE_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/**
 * SQLite: the busy timeout ran out while another connection held the write lock. The request
 * was refused before it changed anything, and the same request a moment later goes through.
 */
const SQLITE_UNAVAILABLE = new Set(['SQLITE_BUSY']);

/** node-postgres and pg-pool say these without a code. */
const DRIVER_MESSAGES = [
  /^Connection terminated/, // unexpectedly | due to connection timeout | (ended by us)
  /^timeout exceeded when trying to connect$/, // the pool's connect timeout
  /^timeout expired$/, // a client's own connect timeout
  /is not queryable$/, // a client whose connection broke, or was closed
  /^Cannot use a pool after calling end on the pool$/,
];

/**
 * True when `err` says the database cannot be reached right now, not that the request is wrong:
 * the connection was refused, timed out, broke, or the server is shutting down, starting or
 * full. Such a request may succeed unchanged a moment later, so the answer is 503 (with
 * Retry-After), never 500. TypeORM's QueryFailedError carries its driver error's code and
 * message, so it is read like the error it wraps; an AggregateError (a host name with several
 * addresses, each refused) by its members.
 * Constraint violations, syntax errors and the like are not matched: they stay 500 or their own.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return unavailable(err, 0);
}

function unavailable(err: unknown, depth: number): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  if (err instanceof ConnectionIsNotSetError || err instanceof CannotExecuteNotConnectedError) return true;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATE_UNAVAILABLE.test(code) || SQLITE_UNAVAILABLE.has(code))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((m) => m.test(message))) return true;
  return err instanceof AggregateError && err.errors.some((e) => unavailable(e, depth + 1));
}
