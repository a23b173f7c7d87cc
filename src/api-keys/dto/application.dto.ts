import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUrl, Length, Matches, ValidateBy } from 'class-validator';
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

export class ApiKeySummaryDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'The last four digits, to tell keys apart', example: '3F9A' }) last4: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedIp: string | null;

  static of(k: ApiKey): ApiKeySummaryDto {
    return { id: k.id, last4: k.last4, createdAt: k.createdAt.toISOString(), lastUsedAt: k.lastUsedAt?.toISOString() ?? null, lastUsedIp: k.lastUsedIp };
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
