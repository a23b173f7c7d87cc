import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import type { AppPassword } from '../../accounts/app-password.entity.js';
import { APP_PASSWORD_NAME_MAX, parseStoredRules } from '../../accounts/core/app-password.js';
import { MAX_RULES_PER_SUBLOGIN } from '../../acl/rule-set.js';
import { MAX_ALLOWED_RANGES } from '../../common/credential-limits.js';

export class AppPasswordRuleDto {
  @ApiProperty({ example: '/dav/backup', maxLength: 1024, description: 'A rule path as for sublogins (contract §6): `/class/`, `/class/action` or `/class/action/name...`; classes: file, stat, sublogin, dav, backup' })
  @IsString()
  @MaxLength(1024)
  path: string;

  @ApiProperty({ enum: ['allow', 'deny'] })
  @IsIn(['allow', 'deny'])
  effect: 'allow' | 'deny';
}

export class CreateAppPasswordDto {
  @ApiProperty({ example: 'laptop rclone', minLength: 1, maxLength: APP_PASSWORD_NAME_MAX, description: 'Unique among your app passwords; printable characters, no spaces at either end' })
  @IsString()
  @MaxLength(APP_PASSWORD_NAME_MAX * 2)
  name: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'When it stops working (in the future); omitted or null: never. Past it, requests answer `401 credential_expired`' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string | null;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_ALLOWED_RANGES,
    example: ['192.0.2.0/24', '2001:db8::/32'],
    description: 'Addresses or CIDR ranges it works from; omitted, null or empty: any address. Elsewhere requests answer `403 address_not_allowed`',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_RANGES)
  @IsString({ each: true })
  allowedRanges?: string[] | null;

  @ApiPropertyOptional({
    type: [AppPasswordRuleDto],
    maxItems: MAX_RULES_PER_SUBLOGIN,
    description:
      'What it may do, in the sublogin rule syntax (the most specific rule decides; no rule denies); omitted or null: everything the account may. Outside them requests answer `403 outside_scope`. Invalid rules answer `400 acl_rule_invalid`',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_RULES_PER_SUBLOGIN)
  @ValidateNested({ each: true })
  @Type(() => AppPasswordRuleDto)
  rules?: AppPasswordRuleDto[] | null;
}

export class AppPasswordDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'laptop rclone' }) name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: never expires' }) expiresAt: string | null;
  @ApiProperty({ type: [String], nullable: true, description: 'Normalised CIDR ranges; null: any address' }) allowedRanges: string[] | null;
  @ApiProperty({ type: [AppPasswordRuleDto], nullable: true, description: "Canonical rules; null: the account's full rights" }) rules: AppPasswordRuleDto[] | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Address of the last successful authentication' }) lastUsedIp: string | null;

  static of(p: AppPassword): AppPasswordDto {
    return {
      id: p.id,
      name: p.name,
      createdAt: p.createdAt.toISOString(),
      expiresAt: p.expiresAt?.toISOString() ?? null,
      allowedRanges: p.allowedRanges,
      rules: parseStoredRules(p.rules),
      lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: p.lastUsedIp,
    };
  }
}

export class AppPasswordListDto {
  @ApiProperty({ type: [AppPasswordDto], description: 'Newest first; the passwords themselves are never shown again' }) items: AppPasswordDto[];
}

export class CreatedAppPasswordDto extends AppPasswordDto {
  @ApiProperty({ description: 'The password: shown in this answer only, never again. Basic takes it with your login as the user name; OTP takes it as PASSWORD' })
  password: string;
}
