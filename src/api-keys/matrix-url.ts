import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { type MatrixParam, matrixValues, stripMatrixParams } from './core/matrix-params.js';

/** The matrix parameters cut from each request's path, keyed by the raw request (dropped with it). */
const MATRIX = new WeakMap<IncomingMessage, readonly MatrixParam[]>();

/**
 * Fastify's `rewriteUrl` (set in app.factory.ts): removes `;name=value` matrix parameters from
 * every path segment and keeps them for the guards (contract §4.3).
 *
 * It has to run before the router, not in a hook or guard: the router matches the literal path,
 * so `/api;api_key=KEY/file/list` would otherwise be an unknown route (404), and a route whose
 * pattern happened to absorb a `;…` spelling would be reached without the route-level policy
 * its plain spelling has. After this, every spelling routes as its plain path, and the ACL
 * canonicaliser, which cuts segments at the same `;`, decides on that same path. The query
 * string is left as sent; Fastify keeps the original target in `req.originalUrl` (logged with
 * credentials redacted, see logging/logger.ts).
 *
 * Consequence: a literal `;` in a name (a WebDAV file `a;b.txt`) must be sent percent-encoded
 * (`a%3Bb.txt`), as RFC 3986 reserves it.
 */
export function rewriteMatrixUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  if (!url.includes(';')) return url; // the common case: one scan, no allocation
  try {
    const { url: stripped, params } = stripMatrixParams(url);
    if (params.length) MATRIX.set(req, params);
    return stripped;
  } catch {
    return url; // never throw here: Fastify calls this outside any error handling
  }
}

/** The request's matrix parameters named `name` (every occurrence, on any segment). */
export function matrixParam(req: FastifyRequest, name: string): string[] {
  const params = MATRIX.get(req.raw);
  return params ? matrixValues(params, name) : [];
}
