import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './all-exceptions.filter.js';
import { errorBody } from './error-response.js';

/**
 * Fastify's `clientErrorHandler` (app.factory.ts): requests that Node's HTTP parser refuses
 * before any route, hook or filter sees them — a malformed request line or header, bytes no
 * header may hold, a Content-Length that is not a number or is sent twice, Content-Length with
 * Transfer-Encoding, headers over the size limit. Fastify's default answers those without a
 * `code`; contract §8 wants every refusal in the contract's shape. Header overflow keeps its own
 * status (431), with the generic `bad_request` code, as the global filter does for the other
 * 4xx that Fastify raises itself. The connection is closed afterwards: after a framing error
 * the rest of the byte stream cannot be trusted (request smuggling).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset or an already closed socket has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message = status === 431 ? 'the request headers are too large' : status === 408 ? 'the request took too long' : 'the request is not valid HTTP/1.1';
  const body = JSON.stringify(errorBody(status, 'bad_request', message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any hook runs — a malformed
 * percent-escape in the path (FST_ERR_BAD_URL), an over-long route parameter. Fastify's own
 * answer carried its internal code (`"code":"FST_ERR_BAD_URL"`); this one goes through the same
 * mapping as every other error (400 `bad_request`), with the request id.
 */
export function answerFrameworkError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  sendError(reply, error, () => undefined);
}
