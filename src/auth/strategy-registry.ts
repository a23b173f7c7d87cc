import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Strategy } from 'passport-strategy';
import type { AuthMethod, Principal } from './principal.js';

/** The actions Passport gives a strategy for one request (passport-strategy's contract). */
type StrategyRun = Strategy & {
  success(user: Principal | false): void;
  fail(): void;
  pass(): void;
  error(err: unknown): void;
  redirect(url: string): void;
};

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

  /**
   * Runs one method's strategy: the principal, null for "not mine", or the error it raised.
   *
   * This is what `passport.authenticate(strategy, callback)` does for one strategy, minus its
   * middleware: that also hangs six login/logout helpers on every request it sees (Passport
   * sessions, which we do not use), giving the requests that went through a strategy another
   * shape than the others for the code that every request runs.
   */
  run(method: AuthMethod, req: FastifyRequest): Promise<Principal | null> {
    const entry = this.methods.get(method);
    if (!entry) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      // A fresh object per request carries that request's actions; the strategy stays shared.
      const layer = Object.create(entry.strategy) as StrategyRun;
      layer.success = (user) => resolve(user || null);
      layer.fail = () => resolve(null);
      layer.pass = () => resolve(null);
      layer.error = (err) => reject(err);
      layer.redirect = () => reject(new Error(`the ${method} strategy asked for a redirect`));
      layer.authenticate(req as never, {});
    });
  }
}
