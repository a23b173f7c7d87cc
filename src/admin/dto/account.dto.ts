import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { Account } from '../../accounts/account.entity.js';
import { PagingQueryDto } from '../../common/paging.dto.js';

export class CreateAccountDto {
  @ApiProperty({ pattern: '^[a-z0-9][a-z0-9_.]{2,31}$', example: 'alice' })
  @Matches(/^[a-z0-9][a-z0-9_.]{2,31}$/, { message: 'login must match ^[a-z0-9][a-z0-9_.]{2,31}$' })
  login: string;

  @ApiProperty({ minLength: 8, maxLength: 1024, format: 'password' })
  @IsString()
  @Length(8, 1024)
  password: string;

  @ApiProperty({ example: 'alice@example.com' })
  @IsEmail()
  @Length(3, 254)
  email: string;

  @ApiPropertyOptional({ enum: ['user', 'admin'], default: 'user' })
  @IsOptional()
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'For imports: the original registration time. Before LEGACY_BASIC_CUTOFF the account starts in the legacy app-connection state.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  registeredAt?: string;
}

export class AccountListQueryDto extends PagingQueryDto {
  @ApiPropertyOptional({ enum: ['active', 'suspended'] })
  @IsOptional()
  @IsIn(['active', 'suspended'])
  status?: 'active' | 'suspended';
}

export class AccountDto {
  @ApiProperty() id: string;
  @ApiProperty() login: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ['user', 'admin'] }) role: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status: string;
  @ApiProperty({ format: 'date-time' }) registeredAt: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(a: Account): AccountDto {
    return { id: a.id, login: a.login, email: a.email, role: a.role, status: a.status, registeredAt: a.registeredAt.toISOString(), createdAt: a.createdAt.toISOString() };
  }
}

export class AccountPageDto {
  @ApiProperty({ type: [AccountDto] }) items: AccountDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}
