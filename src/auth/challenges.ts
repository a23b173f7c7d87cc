import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Every 401 carries WWW-Authenticate (RFC 9110 §11.6.1): the challenges of the route's accepted
 * methods, which the access pipeline leaves on the request, whoever raised the 401 after it (the
 * API-key step, a handler checking a current password, a DAV or page filter). A 401 of a public route
 * comes from a sign-in form (`/auth/login`, `/sign-in`, the OAuth login page): it gets `fallback`,
 * the session's challenge. Answers that set their own challenge keep it.
 *
 * Only routed answers: a request no route matched (404, 405) is not answered 401.
 */
export function installChallenges(fastify: FastifyInstance, fallback: string): (req: FastifyRequest, reply: FastifyReply) => void {
  // On every request from the start, so setting it does not give guarded requests another shape.
  fastify.decorateRequest('authChallenges', undefined);
  // Not a hook of its own (issue 18): run first by each route's one onSend hook (registerCompression).
  return (req, reply) => {
    if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', req.authChallenges ?? fallback);
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** WWW-Authenticate of the route's accepted methods, set by the access pipeline (absent on public routes). */
    authChallenges?: string;
  }
}
