import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { TwoFactorStatus } from '../../two-factor/two-factor.service.js';

export class TwoFactorStatusDto {
  @ApiProperty({ description: 'Whether the account has a second factor (a confirmed authenticator or a passkey)' })
  enabled: boolean;

  @ApiProperty({ description: 'Whether REQUIRE_2FA / REQUIRE_ADMIN_2FA require one of this account' })
  required: boolean;

  @ApiProperty({ enum: ['none', 'pending', 'confirmed'], description: 'The authenticator app: none, set up but not yet confirmed with a code, or on' })
  totp: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  totpConfirmedAt: string | null;

  @ApiProperty({ description: 'Unused recovery codes' })
  recoveryCodesLeft: number;

  @ApiProperty()
  passkeys: number;

  static of(s: TwoFactorStatus): TwoFactorStatusDto {
    return { enabled: s.enabled, required: s.required, totp: s.totp, totpConfirmedAt: s.totpConfirmedAt?.toISOString() ?? null, recoveryCodesLeft: s.recoveryCodesLeft, passkeys: s.passkeys };
  }
}

export class TotpSetupDto {
  @ApiProperty({ description: 'The base32 secret, for typing into an app that cannot scan (shown while the set-up is pending)', example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' })
  secret: string;

  @ApiProperty({ description: 'The otpauth:// URI the QR code holds' })
  uri: string;

  @ApiProperty({ description: 'The QR code of `uri`, as SVG markup drawn by the service' })
  qrSvg: string;
}

export class TotpCodeDto {
  @ApiProperty({ description: 'The current 6-digit code of the authenticator app', example: '123456' })
  @IsString()
  @Length(6, 7)
  code: string;
}

export class TotpConfirmedDto {
  @ApiProperty({ type: [String], description: 'Ten one-time recovery codes, in this answer only (stored as hashes)' })
  recoveryCodes: string[];

  @ApiProperty({
    required: false,
    description: "Present when the account's app connection was `legacy`: it was reissued (the login password no longer works for Basic or OTP), and this is its new app password, in this answer only (contract §4.2)",
  })
  appPassword?: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: 'Ten new one-time recovery codes, in this answer only; the old ones no longer work' })
  recoveryCodes: string[];
}
