import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal.js';

/**
 * What services need to know of the request they serve: where it came from, for audit and
 * throttling, and who it acts as. Services take this, never the Fastify request, so they can be
 * called (and tested) without HTTP.
 */
export interface RequestMeta {
  readonly ip: string;
  readonly userAgent: string | undefined;
  readonly requestId: string;
  readonly principal: Principal | undefined;
}

/** The request's meta, as of now (the principal is read when this is called). */
export function requestMeta(req: FastifyRequest): RequestMeta {
  return { ip: req.ip, userAgent: req.headers['user-agent'], requestId: String(req.id), principal: req.principal };
}
