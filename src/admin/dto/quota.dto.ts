import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import type { QuotaSetting, QuotaStatus } from '../../storage/storage-quota.service.js';

/** Largest quota that can be set: 1 PiB (as MAX_UPLOAD_BYTES). */
export const MAX_QUOTA_BYTES = 2 ** 50;

export class SetQuotaDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: MAX_QUOTA_BYTES,
    example: 10 * 1024 ** 3,
    description: "The account's own quota in bytes, over its main and backup areas together; null: unlimited, whatever STORAGE_QUOTA_BYTES says. DELETE the quota to go back to the default.",
  })
  // null is a value here (unlimited); a missing field is not.
  @ValidateIf((o: SetQuotaDto) => o.bytes !== null)
  @IsInt()
  @Min(0)
  @Max(MAX_QUOTA_BYTES)
  bytes: number | null;
}

export class AccountQuotaDto {
  @ApiProperty() accountId: string;
  @ApiProperty({ enum: ['default', 'unlimited', 'bytes'], description: '`default`: no quota of its own, STORAGE_QUOTA_BYTES applies; `unlimited` or `bytes`: its own' })
  setting: 'default' | 'unlimited' | 'bytes';
  @ApiProperty({ type: Number, nullable: true, description: 'The quota that applies, in bytes (main and backup together); null: unlimited' }) quotaBytes: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'STORAGE_QUOTA_BYTES; null: unset (unlimited)' }) defaultBytes: number | null;
  @ApiProperty({ description: 'Bytes stored in both areas (as last measured, adjusted by every change since)' }) usedBytes: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Bytes that may still be stored (at least 0); null: unlimited' }) availableBytes: number | null;

  static of(accountId: string, status: QuotaStatus, defaultBytes: number | null): AccountQuotaDto {
    return { accountId, setting: status.setting.kind, quotaBytes: status.limitBytes, defaultBytes, usedBytes: status.usedBytes, availableBytes: status.availableBytes };
  }
}

/** The setting a request body asks for. */
export function settingOfBody(body: SetQuotaDto): QuotaSetting {
  return body.bytes === null ? { kind: 'unlimited' } : { kind: 'bytes', bytes: body.bytes };
}
