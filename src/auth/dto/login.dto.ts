import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @Length(1, 100)
  login: string;

  @ApiProperty({ description: 'The login password (never the app-connection password)', format: 'password' })
  @IsString()
  @Length(1, 1024)
  password: string;

  @ApiProperty({
    required: false,
    description: "Form posts only: the sign-in page's token (the `_signin` field of GET /sign-in; its cookie `portcullis_signin` must come with it). JSON logins leave it out.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  _signin?: string;
}

export class LoginResponseDto {
  @ApiProperty({ example: 'admin' })
  login: string;

  @ApiProperty({ enum: ['user', 'admin'] })
  role: string;

  @ApiProperty({ description: 'Send it back in the X-CSRF-Token header on state-changing requests (also set as the portcullis_csrf cookie)' })
  csrfToken: string;

  @ApiProperty({ description: 'When the session ends (a pending one: in 10 minutes, unless completed)', format: 'date-time' })
  expiresAt: string;

  @ApiProperty({
    required: false,
    description: 'The account has a second factor: the session is pending until POST /auth/login/second-factor (or a passkey) completes it; nothing else takes it (contract §4.9)',
  })
  secondFactorRequired?: boolean;

  @ApiProperty({ required: false, description: 'The account must set up a second factor first: the session takes only the enrolment routes (/mypage/two-factor, /api/me/two-factor)' })
  enrolmentRequired?: boolean;

  @ApiProperty({ required: false, enum: ['totp', 'recovery', 'passkey'], isArray: true, description: 'The second factors the account can give' })
  methods?: string[];
}

export class SecondFactorDto {
  @ApiProperty({ description: 'A 6-digit code of the authenticator app, or an unused recovery code (xxxx-xxxx-xxxx-xxxx)', example: '123456' })
  @IsString()
  @Length(6, 40)
  code: string;

  @ApiProperty({ required: false, description: 'Form posts only: the CSRF token' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  _csrf?: string;

  @ApiProperty({ required: false, description: 'Form posts only: where to go afterwards (a path of this site)' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  next?: string;
}

export class SecondFactorResponseDto {
  @ApiProperty({ example: 'alice' })
  login: string;

  @ApiProperty({ enum: ['password', 'totp', 'recovery', 'passkey'], isArray: true, description: 'The factors given in this session' })
  factors: string[];

  @ApiProperty({ enum: ['totp', 'recovery'], description: 'What this code was' })
  factor: string;

  @ApiProperty({ description: 'Unused recovery codes left (after a recovery code: set up new ones when few are left)' })
  recoveryCodesLeft: number;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}
