import type { FastifyReply } from 'fastify';
import type { Html } from './core/html.js';
import { PAGE_CSP } from './views/layout.js';

/** A rendered page and its status. */
export class Page {
  constructor(
    readonly body: Html,
    readonly status = 200,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** 303 See Other: after a form POST, the browser GETs `location` (post/redirect/get). */
export class SeeOther {
  constructor(readonly location: string) {}
}

export type WebResult = Page | SeeOther;

/**
 * Headers of every HTML answer. `no-store`: pages hold personal data, and some show a secret
 * exactly once, which no cache or back button may bring back.
 */
export function htmlHeaders(reply: FastifyReply, status: number): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin');
}

export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).header('cache-control', 'no-store');
}
