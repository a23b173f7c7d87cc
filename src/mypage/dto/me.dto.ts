import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { AppConnection } from '../../accounts/app-connection.entity.js';
import { basicPasswordKind } from '../../accounts/core/app-connection.js';

export class AppConnectionDto {
  @ApiProperty({ enum: ['legacy', 'disabled', 'issued'], description: 'legacy: Basic takes the login password; disabled: no Basic; issued: Basic takes only the app passwords (`/api/me/app-passwords`)' })
  state: string;

  @ApiProperty({ enum: ['login', 'issued'], nullable: true, type: String, description: 'Which password Basic and OTP accept now' })
  basicAccepts: 'login' | 'issued' | null;

  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When enable or reissue last issued a password' }) issuedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: "Latest use of the account's own Basic/OTP secrets: the login password while legacy, else its most recently used app password" })
  lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedIp: string | null;

  @ApiPropertyOptional({ description: 'The new app password (enable, reissue): shown in this answer only, never again' })
  password?: string;

  static of(c: AppConnection, password?: string): AppConnectionDto {
    const dto: AppConnectionDto = {
      state: c.state,
      basicAccepts: basicPasswordKind(c.state),
      issuedAt: c.issuedAt?.toISOString() ?? null,
      lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: c.lastUsedIp,
    };
    if (password) dto.password = password;
    return dto;
  }
}

export class MeDto {
  @ApiProperty() login: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ['user', 'admin'] }) role: string;
  @ApiProperty({ format: 'date-time' }) registeredAt: string;
  @ApiProperty({ type: AppConnectionDto }) appConnection: AppConnectionDto;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' }) @IsString() @Length(1, 1024) current: string;
  @ApiProperty({ format: 'password', minLength: 8 }) @IsString() @Length(8, 1024) next: string;
}

export class StaleClientDto {
  @ApiProperty({ description: 'Short id of the wrong credential (not reversible)' }) credential: string;
  @ApiProperty({ description: 'Times this same wrong credential was tried in the window, at least' }) repeats: number;
  @ApiProperty({ format: 'date-time' }) lastSeen: string;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
}

export class FailureDto {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty() type: string;
  @ApiProperty({ nullable: true, type: String }) login: string | null;
  @ApiProperty({ nullable: true, type: String }) code: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
}

export class SecurityDto {
  @ApiProperty({ type: [FailureDto], description: 'Recent failed sign-ins and Basic attempts on this account and its sublogins' })
  recentFailures: FailureDto[];

  @ApiProperty({ type: [StaleClientDto], description: 'Clients repeating one wrong password: probably a device with an old password saved' })
  staleClients: StaleClientDto[];

  @ApiProperty({ type: AppConnectionDto }) appConnection: AppConnectionDto;
}
