import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import { RECENT_SECOND_FACTOR_MS } from '../two-factor/factors.js';
import { SecondFactors } from '../two-factor/second-factors.js';
import { TwoFactorService } from '../two-factor/two-factor.service.js';
import type { RouteAccess, SecondFactorRule } from './route-table.js';

/**
 * Sensitive actions (`@RecentSecondFactor()`, contract §4.9): a session of an account that has a
 * second factor, or must have one, needs one given within the last 10 minutes. Programs (Basic,
 * app passwords, tokens) are not asked: they have no second factor to give. The pipeline runs it
 * right after the principal step.
 */
@Injectable()
export class SecondFactorStep {
  constructor(
    private readonly factors: SecondFactors,
    private readonly twoFactor: TwoFactorService,
  ) {}

  /** Synchronous (no promise) unless the route asks for a recent second factor that has to be looked up. */
  check(req: FastifyRequest, route: RouteAccess): void | Promise<void> {
    const rule = route.secondFactor;
    if (!rule?.recent) return;
    const principal = req.principal;
    if (principal?.method !== 'session' || !principal.secondFactor) return;
    const at = principal.secondFactor.at;
    if (at !== null && Date.now() - at <= RECENT_SECOND_FACTOR_MS) return;
    return this.checkStale(principal, rule);
  }

  private async checkStale(principal: Principal, rule: SecondFactorRule): Promise<void> {
    if (await this.factors.hasAny(principal.account.id)) {
      throw new DomainError('recent_second_factor_required', 'give your second factor again (POST /auth/login/second-factor), then repeat the request');
    }
    // Required to have one and has none (REQUIRE_2FA turned on since this sign-in): nothing to give
    // again, so it sets one up first — on the enrolment routes themselves, that is the action.
    if (this.twoFactor.required(principal.account) && !rule.pendingAllowed.includes('enrolment')) {
      throw new DomainError('second_factor_enrolment_required', 'this account must set up a second factor first: /mypage/two-factor');
    }
  }
}
