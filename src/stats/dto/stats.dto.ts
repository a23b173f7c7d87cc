import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { TRAFFIC_AREAS, type TrafficArea } from '../core/traffic.js';
import { STORAGE_AREAS } from '../../storage/storage.types.js';

export class RangeQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start (inclusive), rounded down to the hour or day. Default: one day (hour granularity) or 30 days (day granularity, auth) before `to`.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'End (exclusive). Default: now.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class GranularityQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({ enum: ['hour', 'day'], default: 'hour', description: 'Bucket size (UTC). At most 31 days of hours or 366 days of days per request.' })
  @IsOptional()
  @IsIn(['hour', 'day'])
  granularity: 'hour' | 'day' = 'hour';
}

export class TrafficQueryDto extends GranularityQueryDto {
  @ApiPropertyOptional({ enum: TRAFFIC_AREAS, description: 'Only this area' })
  @IsOptional()
  @IsIn(TRAFFIC_AREAS)
  area?: TrafficArea;
}

export class TrafficTotalsDto {
  @ApiProperty() requests: number;
  @ApiProperty({ description: 'Bytes received: request lines, headers and bodies' }) bytesIn: number;
  @ApiProperty({ description: 'Bytes sent: status lines, headers and bodies' }) bytesOut: number;
}

export class TrafficItemDto extends TrafficTotalsDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the hour or UTC day' }) start: string;
  @ApiProperty({ enum: TRAFFIC_AREAS }) area: string;
  @ApiProperty({ type: String, nullable: true, description: "The sublogin's login; null for the customer's own requests" }) sublogin: string | null;
  @ApiProperty({ example: 'GET' }) method: string;
  @ApiProperty({ description: 'HTTP status; 499 when the client went away before any response' }) status: number;
}

export class TrafficReportDto {
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ enum: ['hour', 'day'] }) granularity: string;
  @ApiProperty({ type: [TrafficItemDto] }) items: TrafficItemDto[];
  @ApiProperty({ type: TrafficTotalsDto }) totals: TrafficTotalsDto;
}

export class AppItemDto extends TrafficTotalsDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the hour or UTC day' }) start: string;
  @ApiProperty() applicationId: string;
  @ApiProperty({ type: String, nullable: true, description: "The application's name; null when it no longer exists" }) applicationName: string | null;
}

export class AppsReportDto {
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ enum: ['hour', 'day'] }) granularity: string;
  @ApiProperty({ type: [AppItemDto] }) items: AppItemDto[];
  @ApiProperty({ type: TrafficTotalsDto }) totals: TrafficTotalsDto;
}

export class AreaUsageDto {
  @ApiProperty({ enum: STORAGE_AREAS }) area: string;
  @ApiProperty({ description: 'Bytes in files' }) bytes: number;
  @ApiProperty() files: number;
  @ApiProperty() folders: number;
}

export class StorageReportDto {
  @ApiProperty({ type: [AreaUsageDto] }) areas: AreaUsageDto[];
  @ApiProperty({ description: 'Bytes in files of both areas together: what counts against the quota' }) usedBytes: number;
  @ApiProperty({ type: Number, nullable: true, description: "The account's storage quota in bytes (its own, or STORAGE_QUOTA_BYTES); null: unlimited" }) quotaBytes: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Bytes that may still be stored (quota − used, at least 0); null: unlimited' }) availableBytes: number | null;
}

export class AuthItemDto {
  @ApiProperty({ enum: ['basic', 'bearer', 'otp', 'session', 'link'] }) method: string;
  @ApiProperty({ enum: ['success', 'failure'] }) outcome: string;
  @ApiProperty({ type: String, nullable: true, description: 'The error code of failures (e.g. invalid_credentials, otp_replayed)' }) code: string | null;
  @ApiProperty() count: number;
}

export class AuthReportDto {
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ type: [AuthItemDto] }) items: AuthItemDto[];
  @ApiProperty() successes: number;
  @ApiProperty() failures: number;
}
