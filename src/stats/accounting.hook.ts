import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
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
 * included; it also writes the last counts when the server closes. Per socket, the counters at
 * the previous request's end are kept on the socket itself.
 */
@Injectable()
export class AccountingHook {
  /** The sample, taken when the response closes: after it finished, or when the client went away. */
  private readonly closed: (this: AccountedResponse) => void;

  constructor(private readonly stats: StatsService) {
    this.closed = closeListener(stats);
  }

  /**
   * Starts accounting a request: called by app.factory.ts's one onRequest hook (with the request
   * id), so before anything that could answer it. One shared 'close' listener, the request's
   * state on the response: no closure or `once` wrapper per request (issue 18).
   */
  start(req: FastifyRequest, reply: FastifyReply): void {
    const res = reply.raw as AccountedResponse;
    res[ACCOUNTED] = { at: Date.now(), req };
    const socket = req.raw.socket as MarkedSocket;
    if (socket[MARK] === undefined) socket[MARK] = { read: 0, written: 0 };
    res.on('close', this.closed);
  }

  install(fastify: FastifyInstance): void {
    // Fastify closes before Nest's shutdown hooks run, and only once the requests in flight
    // have been answered (and counted above); the database is still open then, which it no
    // longer is in a provider's onApplicationShutdown. So the last flush happens here.
    fastify.addHook('onClose', async () => {
      await this.stats.flush();
    });
  }
}

/** One listener for every response (`this` is the response): the request's state is on it. */
function closeListener(stats: StatsService): (this: AccountedResponse) => void {
  return function (this: AccountedResponse): void {
    const state = this[ACCOUNTED];
    if (state === undefined) return;
    this[ACCOUNTED] = undefined;
    const { at, req } = state;
    const socket = req.raw.socket as MarkedSocket;
    const mark = socket[MARK]!;
    const read = count(socket.bytesRead);
    const written = count(socket.bytesWritten);
    const principal = req.principal;
    stats.recordRequest({
      at,
      // Set by the access pipeline during the request, if it authenticated anyone.
      accountId: principal?.account.id ?? null,
      sublogin: principal?.sublogin?.login ?? null,
      // Set by the access pipeline: a key's application, or an OAuth client's token.
      applicationId: principal?.application?.id ?? null,
      area: trafficAreaOf(req.url),
      method: req.method,
      status: this.headersSent ? this.statusCode : CLIENT_CLOSED_REQUEST,
      bytesIn: Math.max(0, read - mark.read),
      bytesOut: Math.max(0, written - mark.written),
      route: req.routeOptions.url,
      answered: this.writableFinished,
    });
    mark.read = read;
    mark.written = written;
  };
}

const ACCOUNTED = Symbol('accounted');
const MARK = Symbol('accountingMark');
type AccountedResponse = ServerResponse & { [ACCOUNTED]?: { at: number; req: FastifyRequest } };
type MarkedSocket = Socket & { [MARK]?: SocketMark };

/** A socket counter, or 0 where there is none (e.g. a request injected without a real socket). */
function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}
