import { Body, Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AccountsService } from '../accounts/accounts.service.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { SecondFactorService } from '../auth/second-factor.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { SecondFactors } from '../two-factor/second-factors.js';
import { PendingSessionAllowed, RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { TwoFactorService } from '../two-factor/two-factor.service.js';
import { RecoveryCodesDto, TotpCodeDto, TotpConfirmedDto, TotpSetupDto, TwoFactorStatusDto } from './dto/two-factor.dto.js';

/**
 * The signed-in account's second factor (contract §4.9): set up the authenticator app (TOTP),
 * recovery codes, turn it off. The set-up routes also take a session that must enrol first.
 */
@ApiTags('me')
@Auth('session')
@Controller('api/me/two-factor')
export class TwoFactorController {
  constructor(
    private readonly twoFactor: TwoFactorService,
    private readonly secondFactor: SecondFactorService,
    private readonly factors: SecondFactors,
    private readonly sessions: SessionsService,
    private readonly accounts: AccountsService,
  ) {}

  @Get()
  @PendingSessionAllowed('enrolment')
  @ApiOperation({ summary: 'Which second factors the account has, and whether it must have one' })
  @ApiOkResponse({ type: TwoFactorStatusDto })
  async status(@CurrentPrincipal() p: Principal): Promise<TwoFactorStatusDto> {
    return TwoFactorStatusDto.of(await this.twoFactor.status(p.account));
  }

  @Post('totp')
  @PendingSessionAllowed('enrolment')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start setting up an authenticator app: a new secret and its QR code (pending until confirmed; replaces a pending one)' })
  @ApiOkResponse({ type: TotpSetupDto })
  @ApiConflictResponse({ description: 'An authenticator is on already: turn it off first (`conflict`)', type: ErrorResponseDto })
  begin(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<TotpSetupDto> {
    return this.twoFactor.beginTotp(p.account, requestMeta(req));
  }

  @Post('totp/confirm')
  @PendingSessionAllowed('enrolment')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Confirm the pending authenticator with a code from it: the second factor is on',
    description:
      "Answers ten recovery codes, once. A `legacy` app connection is reissued (the login password stops working for Basic and OTP) and its new app password is in this answer, once. The session counts the code as its second factor (a session that had to enrol is complete now). Wrong codes are throttled like passwords.",
  })
  @ApiOkResponse({ type: TotpConfirmedDto })
  @ApiUnauthorizedResponse({ description: 'Wrong or already used code (`invalid_credentials`)', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'No pending set-up (`conflict`)', type: ErrorResponseDto })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong codes (`too_many_requests`)', type: ErrorResponseDto })
  async confirm(@CurrentPrincipal() p: Principal, @Body() body: TotpCodeDto, @Req() req: FastifyRequest): Promise<TotpConfirmedDto> {
    const account = await this.accounts.findById(p.account.id);
    if (!account) throw new DomainError('session_expired');
    const done = await this.secondFactor.confirmTotp(account, body.code, requestMeta(req));
    await this.sessions.addSecondFactor(p.sessionId!, 'totp');
    return done;
  }

  @Post('recovery-codes')
  @RecentSecondFactor()
  @HttpCode(200)
  @ApiOperation({ summary: 'Ten new recovery codes, once; the old ones stop working. Needs a second factor within 10 minutes.' })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiConflictResponse({ description: 'The account has no second factor (`conflict`)', type: ErrorResponseDto })
  async regenerate(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<RecoveryCodesDto> {
    if (!(await this.factors.hasAny(p.account.id))) throw new DomainError('conflict', 'recovery codes need a second factor first');
    return { recoveryCodes: await this.twoFactor.regenerateRecoveryCodes(p.account, requestMeta(req)) };
  }

  @Delete('totp')
  @RecentSecondFactor()
  @HttpCode(204)
  @ApiOperation({ summary: 'Turn the authenticator app off (with no passkey left, the recovery codes go too). Needs a second factor within 10 minutes.' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'The policy requires a second factor and this is the last one (`conflict`)', type: ErrorResponseDto })
  async disable(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<void> {
    const status = await this.twoFactor.status(p.account);
    if (status.required && status.passkeys === 0 && status.totp === 'confirmed') throw new DomainError('conflict', 'this account must have a second factor: add a passkey first');
    await this.twoFactor.disableTotp(p.account, requestMeta(req));
  }
}
