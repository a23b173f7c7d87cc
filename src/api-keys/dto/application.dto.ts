import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUrl, Length, Matches, MaxLength, ValidateBy } from 'class-validator';
import { MAX_ALLOWED_RANGES } from '../../common/credential-limits.js';
import { PagingQueryDto } from '../../common/paging.dto.js';
import type { ApiKeyBlock } from '../api-key-block.entity.js';
import type { ApiKeyUse } from '../api-key-use.entity.js';
import type { ApiKey } from '../api-key.entity.js';
import type { Application } from '../application.entity.js';
import type { AppAuthorization } from '../app-authorization.js';
import { APPLICATION_STATUSES, type ApplicationStatus } from '../core/application-lifecycle.js';
import { MAX_REDIRECT_URI_LENGTH, redirectUriProblem } from '../core/redirect-uri.js';

const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;
const MAX_REDIRECT_URIS = 20;

function IsRedirectUri(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRedirectUri',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && redirectUriProblem(value) === null,
        defaultMessage: (args) => `redirect URI ${JSON.stringify(String(args?.value).slice(0, 100))} ${typeof args?.value === 'string' ? redirectUriProblem(args.value) : 'must be a string'}`,
      },
    },
    { each: true },
  );
}

export class RegisterApplicationDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Acme Sync' })
  @IsString()
  @Length(1, 100)
  @Matches(NO_CONTROL_CHARS, { message: 'name must not contain control characters' })
  name: string;

  @ApiPropertyOptional({ maxLength: 2000, example: 'Keeps a folder in sync with your storage' })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  description?: string;

  @ApiPropertyOptional({ maxLength: 2000, example: 'https://acme.example.com/sync', description: 'http(s) URL' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'homepage must be an http(s) URL' })
  @Length(1, 2000)
  homepage?: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_REDIRECT_URIS,
    example: ['https://acme.example.com/oauth/callback'],
    description: `OAuth redirect URIs (at most ${MAX_REDIRECT_URIS}, each ≤ ${MAX_REDIRECT_URI_LENGTH} characters): https, http to loopback, or a reverse-domain private-use scheme (com.example.app:/cb); no fragment.`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_REDIRECT_URIS)
  @IsRedirectUri()
  redirectUris?: string[];
}

const KEY_EXPIRES_AT: ApiPropertyOptions = {
  type: String,
  format: 'date-time',
  nullable: true,
  example: '2026-12-31T18:00:00Z',
  description: 'ISO 8601 instant with a time zone (or a date: midnight UTC) from which the key is refused (`401 credential_expired`); null: no expiry (contract §4.7)',
};
const KEY_ALLOWED_RANGES: ApiPropertyOptions = {
  type: [String],
  nullable: true,
  maxItems: MAX_ALLOWED_RANGES,
  example: ['192.0.2.0/24', '2001:db8::/32'],
  description: `Addresses and CIDR ranges (IPv4, IPv6; at most ${MAX_ALLOWED_RANGES}) the key may be used from, as the service sees the client; elsewhere \`403 address_not_allowed\`. null or []: any address. Stored normalised; an entry that is not an address or range answers \`400 validation_failed\` naming it`,
};

/**
 * The limits a developer puts on the application's key (contract §4.7). On issue, absent fields
 * are none; on rotation, absent fields keep the retired key's; on a change, absent fields stay.
 */
export class ApiKeyLimitsDto {
  @ApiPropertyOptional(KEY_EXPIRES_AT)
  @IsOptional()
  @IsString()
  @MaxLength(64)
  expiresAt?: string | null;

  @ApiPropertyOptional(KEY_ALLOWED_RANGES)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_RANGES * 4)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  allowedRanges?: string[] | null;
}

export class ApiKeySummaryDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'The last four digits, to tell keys apart', example: '3F9A' }) last4: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedIp: string | null;
  @ApiProperty({ ...KEY_EXPIRES_AT, description: 'From this instant the key is refused (`credential_expired`); null: no expiry' }) expiresAt: string | null;
  @ApiProperty({ ...KEY_ALLOWED_RANGES, description: 'CIDR ranges the key may be used from (normalised); null: any address' }) allowedRanges: string[] | null;

  static of(k: ApiKey): ApiKeySummaryDto {
    return {
      id: k.id,
      last4: k.last4,
      createdAt: k.createdAt.toISOString(),
      lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: k.lastUsedIp,
      expiresAt: k.expiresAt?.toISOString() ?? null,
      allowedRanges: k.allowedRanges,
    };
  }
}

export class ApplicationDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ nullable: true, type: String }) homepage: string | null;
  @ApiProperty({ type: [String] }) redirectUris: string[];
  @ApiProperty({ enum: APPLICATION_STATUSES, description: 'pending → approved | rejected; approved → revoked (final); rejected → approved' }) status: ApplicationStatus;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) reviewedAt: string | null;
  @ApiProperty({ type: ApiKeySummaryDto, nullable: true, description: 'The active key (never the key itself), or null before the first `POST /api/apps/{id}/key`' })
  key: ApiKeySummaryDto | null;

  static of(a: Application, key: ApiKey | undefined | null): ApplicationDto {
    return {
      id: a.id,
      name: a.name,
      description: a.description,
      homepage: a.homepage,
      redirectUris: a.redirectUris,
      status: a.status,
      createdAt: a.createdAt.toISOString(),
      reviewedAt: a.reviewedAt?.toISOString() ?? null,
      key: key ? ApiKeySummaryDto.of(key) : null,
    };
  }
}

export class ApplicationOwnerDto {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String }) login: string | null;
}

export class AdminApplicationDto extends ApplicationDto {
  @ApiProperty({ type: ApplicationOwnerDto }) owner: ApplicationOwnerDto;
  @ApiProperty({ nullable: true, type: String, description: 'The operator who last reviewed it' }) reviewedBy: string | null;

  static ofAdmin(a: Application, key: ApiKey | undefined | null, ownerLogin: string | undefined): AdminApplicationDto {
    return { ...ApplicationDto.of(a, key), owner: { id: a.ownerAccountId, login: ownerLogin ?? null }, reviewedBy: a.reviewedBy };
  }
}

export class AdminApplicationQueryDto extends PagingQueryDto {
  @ApiPropertyOptional({ enum: APPLICATION_STATUSES, description: 'e.g. `pending` for the review queue (oldest first)' })
  @IsOptional()
  @IsIn(APPLICATION_STATUSES)
  status?: ApplicationStatus;
}

export class AdminApplicationPageDto {
  @ApiProperty({ type: [AdminApplicationDto] }) items: AdminApplicationDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export class IssuedApiKeyDto {
  @ApiProperty() applicationId: string;
  @ApiProperty({ example: '0123456789ABCDEF0123456789ABCDEF', description: 'The key, shown this once: it is stored only as a keyed hash' }) key: string;
  @ApiProperty() keyId: string;
  @ApiProperty({ example: 'CDEF' }) last4: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ ...KEY_EXPIRES_AT, description: 'The key\'s expiry; null: none' }) expiresAt: string | null;
  @ApiProperty({ ...KEY_ALLOWED_RANGES, description: 'The ranges the key may be used from; null: any address' }) allowedRanges: string[] | null;
}

export class AppAuthorizationDto {
  @ApiProperty({ description: 'Who authorized it: your login, or one of your sublogins' }) login: string;
  @ApiProperty({ nullable: true, type: String, description: 'The sublogin\'s name, when a sublogin authorized it (its tokens never exceed the sublogin\'s rules)' }) sublogin: string | null;
  @ApiProperty({ type: [String], example: ['file:read', 'dav'], description: 'OAuth scopes granted' }) scopes: string[];
  @ApiProperty({ format: 'date-time' }) authorizedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the authorization ends unless renewed' }) expiresAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Last request with one of its tokens (recorded at most once a minute)' }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedIp: string | null;

  static of(a: AppAuthorization): AppAuthorizationDto {
    return { login: a.login, sublogin: a.sublogin, scopes: a.scopes, authorizedAt: a.authorizedAt.toISOString(), expiresAt: a.expiresAt?.toISOString() ?? null, lastUsedAt: a.lastUsedAt?.toISOString() ?? null, lastUsedIp: a.lastUsedIp };
  }
}

export class ConnectedApplicationDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ nullable: true, type: String }) homepage: string | null;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status: ApplicationStatus;
  @ApiProperty({ description: 'Blocked for this account: its key answers `api_key_blocked` for you and your sublogins' }) blocked: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) blockedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'First request with your credentials and its key' }) firstUsedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Recorded at most once a minute' }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedIp: string | null;
  @ApiProperty({ type: [AppAuthorizationDto], description: 'OAuth authorizations of the application by you or your sublogins; revoke them with `POST /api/me/apps/{id}/revoke`' })
  authorizations: AppAuthorizationDto[];

  static of(c: { application: Application; block: ApiKeyBlock | null; use: ApiKeyUse | null }, authorizations: readonly AppAuthorization[] = []): ConnectedApplicationDto {
    const a = c.application;
    return {
      id: a.id,
      name: a.name,
      description: a.description,
      homepage: a.homepage,
      status: a.status,
      blocked: c.block !== null,
      blockedAt: c.block?.createdAt.toISOString() ?? null,
      firstUsedAt: c.use?.firstUsedAt.toISOString() ?? null,
      lastUsedAt: c.use?.lastUsedAt.toISOString() ?? null,
      lastUsedIp: c.use?.lastUsedIp ?? null,
      authorizations: authorizations.map(AppAuthorizationDto.of),
    };
  }
}
