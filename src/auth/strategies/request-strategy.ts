import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-strategy';
import type { Principal } from '../principal.js';

type Verify = (req: FastifyRequest, done: (err: unknown, principal?: Principal | false | null) => void) => void;

/**
 * A Passport strategy whose credential is somewhere in the request (a cookie, a parameter): the
 * verify callback answers a principal, null for "no credential of mine here" (the next method
 * may try), or an error. The base for the session and OTP strategies.
 */
export class RequestStrategy extends Strategy {
  constructor(private readonly verify: Verify) {
    super();
  }

  // Passport's types speak of Express; on Fastify the request is Fastify's.
  override authenticate(req: Parameters<Strategy['authenticate']>[0]): void {
    this.verify(req as unknown as FastifyRequest, (err, principal) => {
      if (err) this.error(err as Error);
      else if (principal) this.success(principal);
      else this.fail(401);
    });
  }
}
