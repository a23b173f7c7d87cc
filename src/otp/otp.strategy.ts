import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { requestMeta } from '../auth/request-meta.js';
import { CredentialStrategy, type Validated } from '../auth/strategies/credential-strategy.js';
import { RequestStrategy } from '../auth/strategies/request-strategy.js';
import { OtpVerifier } from './otp-verifier.service.js';

/** The `otp` credential method (contract §4.5): `otp` in the query string (GET) or the body (POST, form or JSON); absent means "not mine". */
@Injectable()
export class OtpStrategy extends CredentialStrategy(RequestStrategy, 'otp') {
  constructor(private readonly verifier: OtpVerifier) {
    super();
  }

  async validate(req: FastifyRequest): Promise<Validated> {
    const presented = presentedOtp(req);
    if (!presented) return null;
    const { principal, verification } = await this.verifier.verify(presented.params.otp, requestMeta(req));
    return [principal, verification];
  }
}

/** The parameters that carry the request's OTP: the query string's, else the body's; null when it has none. */
export function presentedOtp(req: FastifyRequest): { params: Record<string, unknown> } | null {
  const query = req.query as Record<string, unknown> | undefined;
  if (query !== undefined && query !== null && 'otp' in query) return { params: query };
  const body = req.body as Record<string, unknown> | undefined;
  if (body !== null && typeof body === 'object' && 'otp' in body) return { params: body };
  return null;
}

/** Takes the OTP out of the request it authenticated: handlers validate their parameters strictly (unknown fields are refused) and never see it. */
export function consumeOtp(req: FastifyRequest): void {
  const presented = presentedOtp(req);
  if (presented) delete presented.params.otp;
}
