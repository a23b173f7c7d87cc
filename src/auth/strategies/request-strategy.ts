import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-strategy';
import type { Done } from './credential-strategy.js';

type Verify = (req: FastifyRequest, done: Done) => void;

/**
 * A Passport strategy whose credential is somewhere in the request (a cookie, a parameter): the
 * verify callback answers a principal (with Passport's `info`), null for "no credential of mine
 * here" (the next method may try), or an error. The base of the session and OTP strategies.
 */
export class RequestStrategy extends Strategy {
  constructor(private readonly verify: Verify) {
    super();
  }

  // Passport's types speak of Express; on Fastify the request is Fastify's.
  override authenticate(req: Parameters<Strategy['authenticate']>[0]): void {
    this.verify(req as unknown as FastifyRequest, (err, principal, info) => {
      if (err) this.error(err as Error);
      else if (principal) this.success(principal, info);
      else this.fail(401);
    });
  }
}
