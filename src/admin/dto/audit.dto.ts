import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { AuditEvent } from '../../audit/audit-event.entity.js';

export class AuditQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 100) login?: string;
  @ApiPropertyOptional({ description: 'Event type, e.g. `auth.login`' }) @IsOptional() @IsString() @Length(1, 64) type?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @ApiPropertyOptional({ description: 'Page backwards: events with a smaller id' }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) beforeId?: number;
  @ApiPropertyOptional({ default: 100, maximum: 1000 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit = 100;
}

export class AuditEventDto {
  @ApiProperty() id: number;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty() type: string;
  @ApiProperty({ enum: ['success', 'failure', 'info'] }) outcome: string;
  @ApiProperty({ nullable: true, type: String }) login: string | null;
  @ApiProperty({ nullable: true, type: String }) actor: string | null;
  @ApiProperty({ nullable: true, type: String }) code: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: Object }) detail: Record<string, unknown> | null;

  static of(e: AuditEvent): AuditEventDto {
    return { id: e.id, at: e.at.toISOString(), type: e.type, outcome: e.outcome, login: e.login, actor: e.actor, code: e.code, ip: e.ip, userAgent: e.userAgent, detail: e.detail };
  }
}
