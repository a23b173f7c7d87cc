import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import passport from 'passport';
import type { Strategy } from 'passport-strategy';
import type { AuthMethod, Principal } from './principal.js';

/** What a credential method may add beside its Passport strategy. */
export interface MethodExtras {
  /** The WWW-Authenticate challenge a 401 carries when the route accepts this method. */
  challenge?: () => string;
  /**
   * A synchronous look-up of an already verified credential (the verification cache). A hit
   * skips Passport entirely; a miss (undefined) runs the strategy, which stays the one place
   * that authenticates.
   */
  cached?: (req: FastifyRequest) => Principal | undefined;
}

/**
 * The Passport strategy of each credential method, as registered by the strategies themselves.
 * Strategies are run by instance, not by Passport's global name registry, so that two app
 * instances in one process (as in the tests) never run each other's strategies.
 */
@Injectable()
export class StrategyRegistry {
  private readonly methods = new Map<AuthMethod, { strategy: Strategy; extras: MethodExtras }>();

  register(method: AuthMethod, strategy: Strategy, extras: MethodExtras = {}): void {
    this.methods.set(method, { strategy, extras });
  }

  has(method: AuthMethod): boolean {
    return this.methods.has(method);
  }

  extras(method: AuthMethod): MethodExtras {
    return this.methods.get(method)?.extras ?? {};
  }

  /** Runs one method's strategy: the principal, null for "not mine", or the error it raised. */
  run(method: AuthMethod, req: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
    const entry = this.methods.get(method);
    if (!entry) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      // Object.create: Passport attaches per-request action functions to the strategy object
      // it is given; a fresh object per request keeps concurrent requests apart.
      const layer = Object.create(entry.strategy) as Strategy;
      const middleware = passport.authenticate(layer, { session: false }, (err: unknown, user: Principal | false) => {
        if (err) reject(err);
        else resolve(user || null);
      });
      middleware(req, reply, (err?: unknown) => (err ? reject(err) : resolve(null)));
    });
  }
}
