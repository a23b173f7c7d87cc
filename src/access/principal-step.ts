import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import { consumeOtp } from '../otp/otp.strategy.js';
import type { RouteAccess } from './route-table.js';

/**
 * The pipeline's second step: the authenticated principal becomes the request's, for the API-key
 * and ACL steps, the handler (`@CurrentPrincipal()`) and the accounting. An OTP is consumed here:
 * handlers validate their parameters strictly (unknown fields are refused) and never see it.
 * Operator routes refuse everyone else.
 */
@Injectable()
export class PrincipalStep {
  attach(req: FastifyRequest, route: RouteAccess, principal: Principal): void {
    // A route open to an address allow-list acts for no one: an operator's session only lets the
    // scrape in, and the request is not accounted to them.
    if (!route.auth.orFrom) req.principal = principal;
    if (principal.method === 'otp') consumeOtp(req);
    // A session still waiting for its second factor (or for enrolment) is taken only by the routes
    // that complete it (contract §4.9).
    const pending = principal.secondFactor?.pending;
    if (pending && !route.secondFactor?.pendingAllowed.includes(pending)) {
      const challenge: Record<string, string> = route.challenges ? { 'WWW-Authenticate': route.challenges } : {};
      throw pending === 'enrolment'
        ? new DomainError('second_factor_enrolment_required', 'this account must set up a second factor first: /mypage/two-factor', challenge)
        : new DomainError('second_factor_required', 'give the second factor first: POST /auth/login/second-factor', challenge);
    }
    if (route.auth.admin && principal.account.role !== 'admin') throw new DomainError('admin_required', 'operators only');
  }
}
