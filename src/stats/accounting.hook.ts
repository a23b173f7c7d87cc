import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'node:net';
import { trafficAreaOf } from './core/traffic.js';
import { StatsService } from './stats.service.js';

/** Status recorded for a request whose client went away before any response was started. */
export const CLIENT_CLOSED_REQUEST = 499;

interface SocketMark {
  read: number;
  written: number;
}

/**
 * Accounts every request (contract §7): customer, sublogin, application, area, method, status, bytes
 * in and out.
 *
 * Bytes are the socket's own counters: what a connection read and wrote since the previous
 * request on it ended is this request's share, so request line, headers and bodies are all
 * counted, streamed ones included, at no cost per chunk. The sample is taken when the response
 * closes — after it finished, or when the client went away mid-way — so aborted requests count
 * too. Installed in app.factory.ts before the app initialises, so it sees every route, 404s
 * included; it also writes the last counts when the server closes.
 */
@Injectable()
export class AccountingHook {
  private readonly marks = new WeakMap<Socket, SocketMark>();

  constructor(private readonly stats: StatsService) {}

  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (req, reply, done) => {
      const at = Date.now();
      const socket = req.raw.socket;
      if (!this.marks.has(socket)) this.marks.set(socket, { read: 0, written: 0 });
      reply.raw.once('close', () => {
        const mark = this.marks.get(socket)!;
        const read = count(socket.bytesRead);
        const written = count(socket.bytesWritten);
        const res = reply.raw;
        this.stats.recordRequest({
          at,
          // Set by the access pipeline during the request, if it authenticated anyone.
          accountId: req.principal?.account.id ?? null,
          sublogin: req.principal?.sublogin?.login ?? null,
          // Set by the access pipeline: a key's application, or an OAuth client's token.
          applicationId: req.principal?.application?.id ?? null,
          area: trafficAreaOf(req.url),
          method: req.method,
          status: res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST,
          bytesIn: Math.max(0, read - mark.read),
          bytesOut: Math.max(0, written - mark.written),
        });
        mark.read = read;
        mark.written = written;
      });
      done();
    });
    // Fastify closes before Nest's shutdown hooks run, and only once the requests in flight
    // have been answered (and counted above); the database is still open then, which it no
    // longer is in a provider's onApplicationShutdown. So the last flush happens here.
    fastify.addHook('onClose', async () => {
      await this.stats.flush();
    });
  }
}

/** A socket counter, or 0 where there is none (e.g. a request injected without a real socket). */
function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}
