import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Acl, AclResource } from '../acl/acl.decorators.js';
import { ApiKeyPolicy } from '../api-keys/api-key-policy.decorator.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { StorageQuotaService } from '../storage/storage-quota.service.js';
import { StorageService } from '../storage/storage.service.js';
import { STORAGE_AREAS } from '../storage/storage.types.js';
import { bucketStart, DAY_MS, HOUR_MS } from './core/traffic.js';
import { AppsReportDto, AuthReportDto, GranularityQueryDto, RangeQueryDto, StorageReportDto, TrafficQueryDto, TrafficReportDto } from './dto/stats.dto.js';
import { StatsService } from './stats.service.js';

/** Longest range one report covers: bounded work and answer size per request. */
const MAX_RANGE_MS = { hour: 31 * DAY_MS, day: 366 * DAY_MS } as const;

/** The customer's statistics (contract §7). A sublogin allowed `/stat/...` sees its customer's. */
@ApiTags('statistics')
@AclResource('stat')
@Auth('basic', 'bearer', 'otp', 'session')
@ApiKeyPolicy('required')
@ApiResponse({ status: 400, description: 'Bad parameters or range (`validation_failed`)', type: ErrorResponseDto })
@Controller('api/stat')
export class StatsController {
  constructor(
    private readonly stats: StatsService,
    private readonly storage: StorageService,
    private readonly quota: StorageQuotaService,
  ) {}

  @Get('traffic')
  @Acl('stat', 'traffic')
  @ApiOperation({ summary: 'Requests and bytes in/out per hour or day, area, sublogin, method and status', description: 'Counts reach the database within a few seconds.' })
  @ApiOkResponse({ type: TrafficReportDto })
  async traffic(@Query() q: TrafficQueryDto, @CurrentPrincipal() principal: Principal): Promise<TrafficReportDto> {
    const size = q.granularity === 'day' ? DAY_MS : HOUR_MS;
    const { from, to } = range(q, q.granularity === 'day' ? 30 * DAY_MS : DAY_MS, MAX_RANGE_MS[q.granularity], size);
    const items = await this.stats.trafficReport(principal.account.id, from, to, q.granularity, q.area);
    return report(from, to, q.granularity, items);
  }

  @Get('apps')
  @Acl('stat', 'apps')
  @ApiOperation({
    summary: 'Requests and bytes in/out per application (API key or OAuth client) per hour or day',
    description: "Counts the customer's requests made through an application. Counts reach the database within a few seconds.",
  })
  @ApiOkResponse({ type: AppsReportDto })
  async apps(@Query() q: GranularityQueryDto, @CurrentPrincipal() principal: Principal): Promise<AppsReportDto> {
    const size = q.granularity === 'day' ? DAY_MS : HOUR_MS;
    const { from, to } = range(q, q.granularity === 'day' ? 30 * DAY_MS : DAY_MS, MAX_RANGE_MS[q.granularity], size);
    const items = await this.stats.appsReport(principal.account.id, from, to, q.granularity);
    return report(from, to, q.granularity, items);
  }

  @Get('storage')
  @Acl('stat', 'storage')
  @ApiOperation({
    summary: 'Bytes, files and folders stored per area (main, backup), and the storage quota',
    description: 'Measured now. The quota covers both areas together: `usedBytes` against `quotaBytes`, `availableBytes` what may still be stored (both null when unlimited).',
  })
  @ApiOkResponse({ type: StorageReportDto })
  async storageUsage(@CurrentPrincipal() principal: Principal): Promise<StorageReportDto> {
    const accountId = principal.account.id;
    const [usage, setting] = await Promise.all([this.storage.usage(accountId), this.quota.setting(accountId)]);
    const usedBytes = STORAGE_AREAS.reduce((sum, area) => sum + usage[area].bytes, 0);
    const quotaBytes = this.quota.limitOf(setting);
    return {
      areas: STORAGE_AREAS.map((area) => ({ area, ...usage[area] })),
      usedBytes,
      quotaBytes,
      availableBytes: quotaBytes === null ? null : Math.max(0, quotaBytes - usedBytes),
    };
  }

  @Get('auth')
  @Acl('stat', 'auth')
  @ApiOperation({ summary: "Authentication successes and failures of the customer's credentials, per method and code" })
  @ApiOkResponse({ type: AuthReportDto })
  async auth(@Query() q: RangeQueryDto, @CurrentPrincipal() principal: Principal): Promise<AuthReportDto> {
    const { from, to } = range(q, 30 * DAY_MS, MAX_RANGE_MS.day, HOUR_MS);
    const items = await this.stats.authReport(principal.account.id, from, to);
    let successes = 0;
    let failures = 0;
    for (const i of items) {
      if (i.outcome === 'success') successes += i.count;
      else failures += i.count;
    }
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), items, successes, failures };
  }
}

/** [from, to) in epoch ms: defaults filled in, `from` rounded down to the bucket, limits checked. */
function range(q: RangeQueryDto, defaultSpan: number, maxSpan: number, bucket: number): { from: number; to: number } {
  const to = q.to === undefined ? Date.now() : Date.parse(q.to);
  const from = bucketStart(q.from === undefined ? to - defaultSpan : Date.parse(q.from), bucket);
  if (!(from < to)) throw new DomainError('validation_failed', '`from` must be before `to`');
  if (to - from > maxSpan) throw new DomainError('validation_failed', `the range may cover at most ${maxSpan / DAY_MS} days at this granularity`);
  return { from, to };
}

/** A report of counted items: the range, each item with its start as ISO, and the totals. */
function report<T extends { start: number; requests: number; bytesIn: number; bytesOut: number }>(from: number, to: number, granularity: string, items: T[]) {
  const totals = { requests: 0, bytesIn: 0, bytesOut: 0 };
  for (const i of items) {
    totals.requests += i.requests;
    totals.bytesIn += i.bytesIn;
    totals.bytesOut += i.bytesOut;
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    granularity,
    items: items.map((i) => ({ ...i, start: new Date(i.start).toISOString() })),
    totals,
  };
}
