import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { SignedLink } from '../signed-link.entity.js';

export class CreateLinkDto {
  @ApiProperty({ enum: ['GET', 'PUT'], description: '`GET`: download one file. `PUT`: upload one file to `path` (target `file`) or any file below the folder `path` (target `prefix`).' })
  @IsIn(['GET', 'PUT'])
  method: 'GET' | 'PUT';

  @ApiProperty({ description: 'The file (or, for a `prefix` upload link, the folder) in your main storage. Example: `/docs/report.pdf`.' })
  @IsString()
  @MaxLength(8192)
  path: string;

  @ApiPropertyOptional({ enum: ['file', 'prefix'], default: 'file', description: '`prefix` only for `PUT`: uploads go to `/link/{token}/{name}` below the folder.' })
  @IsOptional()
  @IsIn(['file', 'prefix'])
  target?: 'file' | 'prefix';

  @ApiProperty({ description: 'Seconds from now until the link stops working: 1 to OTP_MAX_TTL.', example: 3600 })
  @IsInt()
  @Min(1)
  expiresIn: number;

  @ApiPropertyOptional({ type: [String], description: 'Addresses or CIDR ranges the link may be used from (at most 32); none: any address.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  allowedRanges?: string[];

  @ApiPropertyOptional({ description: 'How many times the link may be used (1: single use, exactly once across instances); none: until it expires.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxUses?: number;

  @ApiPropertyOptional({ description: 'Upload links only: the largest body accepted, in bytes (413 `payload_too_large` above it, nothing stored).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2 ** 50)
  maxUploadBytes?: number;
}

export class LinkDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['GET', 'PUT'] }) method: string;
  @ApiProperty({ enum: ['file', 'prefix'] }) target: string;
  @ApiProperty({ description: 'Canonical path of the file or folder' }) path: string;
  @ApiProperty({ description: 'The login that created it (an account or one of its sublogins)' }) createdBy: string;
  @ApiProperty({ nullable: true, type: String, description: 'The application (API key or OAuth client) of the request that created it' }) applicationId: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty({ nullable: true, type: [String] }) allowedRanges: string[] | null;
  @ApiProperty({ nullable: true, type: Number }) maxUses: number | null;
  @ApiProperty() uses: number;
  @ApiProperty({ nullable: true, type: Number }) maxUploadBytes: number | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastUsedIp: string | null;

  static of(link: SignedLink, accountLogin: string): LinkDto {
    return {
      id: link.id,
      method: link.method,
      target: link.target,
      path: link.path || '/',
      createdBy: link.sublogin?.login ?? accountLogin,
      applicationId: link.applicationId,
      createdAt: link.createdAt.toISOString(),
      expiresAt: link.expiresAt.toISOString(),
      allowedRanges: link.allowedRanges,
      maxUses: link.maxUses,
      uses: link.uses,
      maxUploadBytes: link.maxUploadBytes,
      revokedAt: link.revokedAt?.toISOString() ?? null,
      lastUsedAt: link.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: link.lastUsedIp,
    };
  }
}

export class CreatedLinkDto extends LinkDto {
  @ApiProperty({ description: 'The link, shown only in this response: whoever holds it can use it, without a password or key.' }) url: string;
  @ApiProperty({ description: 'The token part of the URL: `<kid>.<id>.<expiry>.<mac>`' }) token: string;
}

export class LinkListDto {
  @ApiProperty({ type: [LinkDto] }) items: LinkDto[];
}
