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

  @ApiProperty({ description: 'When the session ends', format: 'date-time' })
  expiresAt: string;
}
