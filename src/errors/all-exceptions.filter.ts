import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-mapping.js';

/** The single place where a thrown error becomes an HTTP answer. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    sendError(reply, exception, (err) => this.logger.error({ err, reqId: request.id }, 'unexpected error'));
  }
}

export function sendError(reply: FastifyReply, exception: unknown, logUnexpected: (err: unknown) => void): void {
  const res = toErrorResponse(exception);
  if (res.unexpected) logUnexpected(exception);
  if (reply.sent || reply.raw.headersSent) {
    // A streamed body already started: the only honest thing left is to cut the connection.
    reply.raw.destroy();
    return;
  }
  reply.headers(res.headers).code(res.status).type('application/json; charset=utf-8').send(res.body);
}
