import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { MAX_ALLOWED_RANGES } from '../../common/credential-limits.js';
import type { AclEffect, AclRule as Rule } from '../../acl/core/acl-resolver.js';
import { MAX_RULES_PER_SUBLOGIN } from '../../acl/rule-set.js';
import { SUBLOGIN_NAME_PATTERN, type Sublogin } from '../../accounts/sublogin.entity.js';

const NAME = { pattern: SUBLOGIN_NAME_PATTERN.source, example: 'backup', description: 'The part after `customer-` in the sublogin\'s login' } as const;
/** NAME for query parameters: no `example`, which Swagger UI's "Try it out" would fill in as the value. */
const NAME_IN_QUERY = { pattern: SUBLOGIN_NAME_PATTERN.source, description: `${NAME.description}, e.g. \`backup\`` } as const;
const NAME_MESSAGE = { message: `name must match ${SUBLOGIN_NAME_PATTERN.source}` };
const PASSWORD = { minLength: 8, maxLength: 1024, format: 'password' } as const;
// Control characters cannot be typed into most clients' password fields, nor sent safely in Basic.
const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

export class AclRuleDto {
  @ApiProperty({
    example: '/file/delete/tmp',
    maxLength: 1024,
    description: '`/class/`, `/class/action` or `/class/action/name...`; classes: file, stat, sublogin, dav, backup. No empty, `.`, `..` or percent-encoded segments.',
  })
  @IsString()
  path: string;

  @ApiProperty({ enum: ['allow', 'deny'] })
  @IsIn(['allow', 'deny'])
  effect: AclEffect;
}

const RULES: { type: [typeof AclRuleDto]; maxItems: number; description: string } = {
  type: [AclRuleDto],
  maxItems: MAX_RULES_PER_SUBLOGIN,
  description: `At most ${MAX_RULES_PER_SUBLOGIN}. The most specific rule covering a path decides; at equal depth deny wins; no rule denies. Identical rules are stored once; the same path with both effects is refused. Invalid rules answer \`acl_rule_invalid\` naming them, and nothing changes.`,
};

const EXPIRES_AT: ApiPropertyOptions = {
  type: String,
  format: 'date-time',
  nullable: true,
  example: '2026-12-31T18:00:00Z',
  description: 'ISO 8601 instant with a time zone (or a date: midnight UTC) from which the sublogin is refused (`401 credential_expired`) with every method; null: no expiry (contract §4.7)',
};
const ALLOWED_RANGES: ApiPropertyOptions = {
  type: [String],
  nullable: true,
  maxItems: MAX_ALLOWED_RANGES,
  example: ['192.0.2.0/24', '2001:db8::/32'],
  description: `Addresses and CIDR ranges (IPv4, IPv6; at most ${MAX_ALLOWED_RANGES}) the sublogin may be used from, as the service sees the client (TRUST_PROXY); elsewhere \`403 address_not_allowed\`. null or []: any address. Stored normalised (\`192.0.2.7\` is \`192.0.2.7/32\`); an entry that is not an address or range answers \`400 validation_failed\` naming it`,
};

/** The optional limits of a sublogin, as created or changed (contract §4.7). */
class SubloginLimitsInputDto {
  @ApiPropertyOptional(EXPIRES_AT)
  @IsOptional()
  @IsString()
  @MaxLength(64)
  expiresAt?: string | null;

  @ApiPropertyOptional(ALLOWED_RANGES)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_RANGES * 4)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  allowedRanges?: string[] | null;
}

export class CreateSubloginDto extends SubloginLimitsInputDto {
  @ApiProperty(NAME)
  @Matches(SUBLOGIN_NAME_PATTERN, NAME_MESSAGE)
  name: string;

  @ApiPropertyOptional({ ...PASSWORD, description: 'Omit it to have one generated; a generated password is returned once, in this response' })
  @IsOptional()
  @IsString()
  @Length(8, 1024)
  @Matches(NO_CONTROL_CHARS, { message: 'password must not contain control characters' })
  password?: string;

  @ApiPropertyOptional({ ...RULES, description: `Initial rules (default: none, so everything is denied). ${RULES.description}` })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => AclRuleDto)
  rules?: AclRuleDto[];
}

export class UpdateSubloginDto extends SubloginLimitsInputDto {
  @ApiProperty(NAME)
  @Matches(SUBLOGIN_NAME_PATTERN, NAME_MESSAGE)
  name: string;

  @ApiPropertyOptional({ description: 'A disabled sublogin authenticates nowhere' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ ...PASSWORD, description: 'A new password of your choice' })
  @IsOptional()
  @IsString()
  @Length(8, 1024)
  @Matches(NO_CONTROL_CHARS, { message: 'password must not contain control characters' })
  password?: string;

  @ApiPropertyOptional({ description: 'Replace the password with a generated one, returned once in this response (not together with `password`)' })
  @IsOptional()
  @IsBoolean()
  generatePassword?: boolean;
}

export class SubloginNameDto {
  @ApiProperty(NAME_IN_QUERY)
  @Matches(SUBLOGIN_NAME_PATTERN, NAME_MESSAGE)
  name: string;
}

export class ReplaceRulesDto {
  @ApiProperty(NAME)
  @Matches(SUBLOGIN_NAME_PATTERN, NAME_MESSAGE)
  name: string;

  @ApiProperty({ ...RULES, description: `The new, complete rule set. ${RULES.description}` })
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => AclRuleDto)
  rules: AclRuleDto[];
}

export class CheckQueryDto {
  @ApiProperty(NAME_IN_QUERY)
  @Matches(SUBLOGIN_NAME_PATTERN, NAME_MESSAGE)
  name: string;

  @ApiProperty({ description: 'A request path, canonicalised as a request is (`/FILE/delete//tmp/./a.txt` is `/file/delete/tmp/a.txt`), e.g. `/file/delete/tmp/a.txt`' })
  @IsString()
  path: string;
}

export class SubloginDto {
  @ApiProperty({ example: 'backup' }) name: string;
  @ApiProperty({ example: 'alice-backup', description: 'The user name the sublogin signs in with' }) login: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Address of the last successful authentication' }) lastUsedIp: string | null;
  @ApiProperty({ ...EXPIRES_AT, description: 'From this instant the sublogin is refused (`credential_expired`); null: no expiry' }) expiresAt: string | null;
  @ApiProperty({ ...ALLOWED_RANGES, description: 'CIDR ranges it may be used from (normalised); null: any address' }) allowedRanges: string[] | null;

  static of(s: Sublogin): SubloginDto {
    return {
      name: s.name,
      login: s.login,
      enabled: s.enabled,
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
      lastUsedAt: s.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: s.lastUsedIp,
      expiresAt: s.expiresAt?.toISOString() ?? null,
      allowedRanges: s.allowedRanges,
    };
  }
}

export class SubloginListItemDto extends SubloginDto {
  @ApiProperty() ruleCount: number;
}

export class SubloginPageDto {
  @ApiProperty({ type: [SubloginListItemDto] }) items: SubloginListItemDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export class CreatedSubloginDto extends SubloginDto {
  @ApiPropertyOptional({ description: 'The generated password, present only when none was sent. Shown once: it cannot be read again.' })
  password?: string;

  @ApiProperty({ type: [AclRuleDto], description: 'The rules as stored (canonical)' })
  rules: AclRuleDto[];
}

export class UpdatedSubloginDto extends SubloginDto {
  @ApiPropertyOptional({ description: 'The generated password, present only when `generatePassword` was sent. Shown once.' })
  password?: string;
}

export class RuleSetDto {
  @ApiProperty({ example: 'backup' }) name: string;
  @ApiProperty({ type: [AclRuleDto], description: 'Canonical, in the order written' }) rules: AclRuleDto[];
}

export class AclCheckDto {
  @ApiProperty() allowed: boolean;
  @ApiProperty({ example: '/file/delete/tmp/a.txt', description: 'The canonical path that was decided' }) path: string;
  @ApiProperty({ type: AclRuleDto, nullable: true, description: 'The rule that decided; null when none covers the path (denied by default)' }) rule: AclRuleDto | null;
}

export function ruleDtos(rules: readonly Rule[]): AclRuleDto[] {
  return rules.map((r) => ({ path: r.path, effect: r.effect }));
}
