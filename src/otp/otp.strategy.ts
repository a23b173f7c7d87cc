import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { RequestStrategy } from '../auth/strategies/request-strategy.js';
import { StrategyRegistry } from '../auth/strategy-registry.js';
import { OtpVerifier } from './otp-verifier.service.js';

/** `otp` in the query string (GET) or the body (POST, form or JSON); absent means "not mine". */
@Injectable()
export class OtpStrategy extends PassportStrategy(RequestStrategy, 'otp') {
  constructor(
    private readonly verifier: OtpVerifier,
    registry: StrategyRegistry,
  ) {
    super();
    registry.register('otp', this);
  }

  async validate(req: FastifyRequest): Promise<Principal | null> {
    const query = req.query as Record<string, unknown> | undefined;
    const body = req.body as Record<string, unknown> | undefined;
    const inQuery = query !== undefined && query !== null && 'otp' in query;
    const inBody = !inQuery && body !== null && typeof body === 'object' && 'otp' in body;
    if (!inQuery && !inBody) return null;
    const raw = inQuery ? query.otp : body!.otp;
    // The credential is consumed here: handlers validate their parameters strictly (unknown
    // fields are refused) and never see it.
    if (inQuery) delete query.otp;
    else delete body!.otp;
    return this.verifier.verify(raw, req);
  }
}
