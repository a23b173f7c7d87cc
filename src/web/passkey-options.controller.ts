import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type {} from '@fastify/cookie';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { FastifyRequest } from 'fastify';
import { Auth, CurrentPrincipal, Public } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { SIGN_IN_COOKIE } from '../auth/sign-in-token.js';
import { DomainError } from '../errors/domain-error.js';
import { PasskeyCeremonies } from '../two-factor/passkeys/passkey-ceremonies.service.js';
import { SecondFactors } from '../two-factor/second-factors.js';
import { PendingSessionAllowed } from '../two-factor/two-factor.decorators.js';
import { assertRecentSecondFactor } from './passkey-pages.controller.js';

/**
 * The options of the passkey ceremonies, as JSON for the pages' script (views/passkey-script.ts).
 * Each holds a fresh challenge bound to who asked: the session (registration, second factor) or
 * the sign-in page's own token (a sign-in with a passkey alone), accepted once within 5 minutes.
 * The pages' helpers, not API: left out of the OpenAPI document like the pages.
 */
@ApiExcludeController()
@Controller()
export class PasskeyOptionsController {
  constructor(
    private readonly passkeys: PasskeyCeremonies,
    private readonly factors: SecondFactors,
  ) {}

  /** Registration: for the session's account (also one that must enrol); a sensitive action when it has a second factor already. */
  @Post('mypage/passkeys/options')
  @Auth('session')
  @PendingSessionAllowed('enrolment')
  @HttpCode(200)
  async registration(@CurrentPrincipal() p: Principal): Promise<PublicKeyCredentialCreationOptionsJSON> {
    if (await this.factors.hasAny(p.account.id)) assertRecentSecondFactor(p);
    return this.passkeys.registrationOptions(p.account, p.sessionId!);
  }

  /** A passkey alone: the browser offers the discoverable ones; bound to this sign-in page's token. */
  @Post('sign-in/passkey/options')
  @Public()
  @HttpCode(200)
  signIn(@Req() req: FastifyRequest): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const attempt = req.cookies?.[SIGN_IN_COOKIE];
    if (!attempt) throw new DomainError('csrf_failed', 'open the sign-in page first (GET /sign-in)');
    return this.passkeys.authenticationOptions('sign-in', attempt);
  }

  /** The second factor: the account's passkeys, bound to the session that has its password. */
  @Post('sign-in/passkey/second-factor/options')
  @Auth('session')
  @PendingSessionAllowed('second_factor')
  @HttpCode(200)
  secondFactor(@CurrentPrincipal() p: Principal): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.passkeys.authenticationOptions('second-factor', p.sessionId!, p.account.id);
  }
}
