import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import passport from 'passport';
import type { Strategy } from 'passport-strategy';
import type { AuthMethod, Principal } from '../auth/principal.js';
import { BasicStrategy } from '../auth/strategies/basic.strategy.js';
import { SessionStrategy } from '../auth/strategies/session.strategy.js';
import type { Verification } from '../auth/verification.js';
import { BearerStrategy } from '../oauth/bearer.strategy.js';
import { LinkStrategy } from '../links/link.strategy.js';
import { OtpStrategy } from '../otp/otp.strategy.js';

/** A strategy's success: the principal, and Passport's `info` (what to record of it). */
export interface Authenticated {
  principal: Principal;
  verification: Verification;
}

const NOTHING_TO_RECORD: Verification = Object.freeze({});

/**
 * The Passport strategy of each credential method, run through Passport's own `authenticate`.
 * The constructor is the one declared list (one strategy per method, checked by the compiler);
 * they are registered in a Passport instance of this app, not the process-wide one, so two apps
 * in one process (as in the tests) never run each other's strategies.
 */
@Injectable()
export class CredentialStrategies {
  private readonly passport = new passport.Authenticator();

  constructor(basic: BasicStrategy, bearer: BearerStrategy, otp: OtpStrategy, session: SessionStrategy, link: LinkStrategy) {
    const declared: Readonly<Record<AuthMethod, Strategy>> = { basic, bearer, otp, session, link };
    for (const [method, strategy] of Object.entries(declared)) this.passport.use(method, strategy);
  }

  /** Runs one method's strategy: its principal and info, null for "not mine", or rejects with what it raised. */
  run(method: AuthMethod, req: FastifyRequest, res: ServerResponse): Promise<Authenticated | null> {
    return new Promise((resolve, reject) => {
      const authenticate = this.passport.authenticate(method, { session: false }, (err: unknown, principal: Principal | false | undefined, info: unknown) => {
        if (err) reject(err);
        else resolve(principal ? { principal, verification: (info as Verification | undefined) ?? NOTHING_TO_RECORD } : null);
      }) as (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
      // Reached only when a strategy passes without deciding: nobody authenticated.
      authenticate(req, res, (err) => (err ? reject(err) : resolve(null)));
    });
  }
}

/**
 * Passport's `authenticate` hangs its login/logout helpers on each request it sees. Declared on
 * every request from the start, so requests that went through a strategy keep the same shape as
 * the others for the code every request runs.
 */
export function installPassportRequestFields(fastify: FastifyInstance): void {
  for (const field of ['login', 'logIn', 'logout', 'logOut', 'isAuthenticated', 'isUnauthenticated', '_sessionManager']) fastify.decorateRequest(field, null);
}
