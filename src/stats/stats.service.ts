import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ErrorCode } from '../errors/error-codes.js';
import {
  type AppKey,
  appKeyId,
  type AuthCounts,
  type AuthKey,
  authKeyId,
  bucketStart,
  CounterBuffer,
  DAY_MS,
  HOUR_MS,
  type TrafficArea,
  type TrafficCounts,
  type TrafficKey,
  trafficKeyId,
} from './core/traffic.js';
import { StatsStore } from './stats.store.js';

/** How often buffered counts are written. Counts wait at most this long to show in reports. */
const FLUSH_INTERVAL_MS = 5_000;
/** A buffer this large (distinct keys) is written at once instead of waiting for the timer. */
const FLUSH_AT_KEYS = 5_000;

export interface RequestSample {
  /** When the request started (it is counted in that hour). */
  at: number;
  accountId: string | null;
  sublogin: string | null;
  /** The application the request came through (API key, OAuth client), if any. */
  applicationId: string | null;
  area: TrafficArea;
  method: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** The route pattern that matched (undefined: none), for the metrics. */
  route?: string;
  /** Whether the response was sent in full (not cut short by the client going away). */
  answered?: boolean;
}

export type Granularity = 'hour' | 'day';

/**
 * Sees every count as it is recorded (the Prometheus metrics, metrics/). Called synchronously on
 * the request path, so an observer only adds to counters in memory.
 */
export interface StatsObserver {
  request?(sample: RequestSample): void;
  auth?(method: string, outcome: ErrorCode | 'success'): void;
}

export interface TrafficItem {
  start: number;
  area: TrafficArea;
  sublogin: string | null;
  method: string;
  status: number;
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

export interface AppItem {
  start: number;
  applicationId: string;
  /** null when the application no longer exists. */
  applicationName: string | null;
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

export interface AuthItem {
  method: string;
  outcome: 'success' | 'failure';
  code: string | null;
  count: number;
}

/**
 * Statistics (contract §7): counts every request and every authentication outcome into in-memory
 * buffers, added up per hour, and writes them to the database every few seconds and at
 * shutdown. A failed write gives its batch back to the buffer, so counts are delayed, never lost
 * (short of the process dying). Reports read the hourly rows.
 */
@Injectable()
export class StatsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StatsService.name);
  private readonly traffic = new CounterBuffer<TrafficKey, TrafficCounts>(trafficKeyId);
  private readonly auth = new CounterBuffer<AuthKey, AuthCounts>(authKeyId);
  private readonly apps = new CounterBuffer<AppKey, TrafficCounts>(appKeyId);
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly observers: StatsObserver[] = [];

  constructor(private readonly store: StatsStore) {}

  observe(observer: StatsObserver): void {
    this.observers.push(observer);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
  }

  /**
   * The final flush of an app with an HTTP server is AccountingHook's (when Fastify closes, while
   * the database is still open). This one covers the rest; with nothing buffered it touches
   * nothing, so it is harmless after TypeORM has closed its connection.
   */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  recordRequest(s: RequestSample): void {
    for (const o of this.observers) o.request?.(s);
    // Keys fit their columns and counts are finite: one bad row would fail every later flush.
    const hour = bucketStart(s.at);
    const accountId = (s.accountId ?? '').slice(0, 36);
    const counts = { requests: 1, bytesIn: finite(s.bytesIn), bytesOut: finite(s.bytesOut) };
    this.traffic.add(
      {
        hour,
        accountId,
        sublogin: (s.sublogin ?? '').slice(0, 80),
        area: s.area,
        method: s.method.slice(0, 16),
        status: Number.isInteger(s.status) ? s.status : 0,
      },
      counts,
    );
    // Per application only what a customer did through one: that is whom the report is for.
    if (accountId && s.applicationId) this.apps.add({ hour, accountId, applicationId: s.applicationId.slice(0, 36) }, counts);
    if (this.traffic.size >= FLUSH_AT_KEYS || this.apps.size >= FLUSH_AT_KEYS) void this.flush();
  }

  /**
   * Counts one authentication attempt: `outcome` is 'success' or the failure's error code.
   * `accountId` is the customer the credential belongs to (a sublogin's customer), when known.
   */
  recordAuth(method: string, outcome: ErrorCode | 'success', accountId: string | null = null, at: number = Date.now()): void {
    for (const o of this.observers) o.auth?.(method, outcome);
    this.auth.add({ hour: bucketStart(at), accountId: (accountId ?? '').slice(0, 36), method: method.slice(0, 16), outcome: outcome.slice(0, 64) }, { count: 1 });
    if (this.auth.size >= FLUSH_AT_KEYS) void this.flush();
  }

  /** Writes what is buffered; waits for a write already under way, so a read after it sees everything. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const traffic = this.traffic.drain();
      const auth = this.auth.drain();
      const apps = this.apps.drain();
      try {
        await this.store.add(traffic, auth, apps);
      } catch (err) {
        this.traffic.restore(traffic);
        this.auth.restore(auth);
        this.apps.restore(apps);
        this.logger.error({ err, traffic: traffic.length, auth: auth.length, apps: apps.length }, 'could not write statistics; kept for the next flush');
      }
    });
    return this.flushing;
  }

  /** Traffic per hour or UTC day in [from, to), per area, sublogin, method and status. */
  async trafficReport(accountId: string, from: number, to: number, granularity: Granularity, area?: TrafficArea): Promise<TrafficItem[]> {
    const size = granularity === 'day' ? DAY_MS : HOUR_MS;
    const rows = await this.store.traffic(accountId, bucketStart(from, size), to, area);
    const items = sumByBucket(
      rows,
      size,
      (r, start) => [start, r.area, r.sublogin, r.method, r.status],
      (r, start): TrafficItem => ({ start, area: r.area, sublogin: r.sublogin || null, method: r.method, status: r.status, requests: r.requests, bytesIn: r.bytesIn, bytesOut: r.bytesOut }),
    );
    return items.sort(
      (a, b) => a.start - b.start || cmp(a.area, b.area) || cmp(a.sublogin ?? '', b.sublogin ?? '') || cmp(a.method, b.method) || a.status - b.status,
    );
  }

  /** Requests and bytes per application per hour or UTC day in [from, to). */
  async appsReport(accountId: string, from: number, to: number, granularity: Granularity): Promise<AppItem[]> {
    const size = granularity === 'day' ? DAY_MS : HOUR_MS;
    const rows = await this.store.apps(accountId, bucketStart(from, size), to);
    const items = sumByBucket(
      rows,
      size,
      (r, start) => [start, r.applicationId],
      (r, start): AppItem => ({ start, applicationId: r.applicationId, applicationName: r.applicationName, requests: r.requests, bytesIn: r.bytesIn, bytesOut: r.bytesOut }),
    );
    return items.sort((a, b) => a.start - b.start || cmp(a.applicationId, b.applicationId));
  }

  /** Authentication outcomes in [from, to) per method and outcome code. */
  async authReport(accountId: string, from: number, to: number): Promise<AuthItem[]> {
    const rows = await this.store.auth(accountId, bucketStart(from), to);
    const groups = new Map<string, AuthItem>();
    for (const r of rows) {
      const id = JSON.stringify([r.method, r.outcome]);
      const item = groups.get(id);
      if (item) item.count += r.count;
      else groups.set(id, { method: r.method, outcome: r.outcome === 'success' ? 'success' : 'failure', code: r.outcome === 'success' ? null : r.outcome, count: r.count });
    }
    return [...groups.values()].sort((a, b) => cmp(a.method, b.method) || cmp(a.outcome, b.outcome) || cmp(a.code ?? '', b.code ?? ''));
  }
}

function finite(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * Hourly rows added up per bucket of `size` ms and whatever else `groupOf` names: the first row of
 * a group makes its item (`itemOf`), the others add their requests and bytes to it.
 */
function sumByBucket<R extends TrafficCounts & { hour: number }, I extends TrafficCounts>(
  rows: readonly R[],
  size: number,
  groupOf: (row: R, start: number) => unknown[],
  itemOf: (row: R, start: number) => I,
): I[] {
  const groups = new Map<string, I>();
  for (const r of rows) {
    const start = bucketStart(r.hour, size);
    const id = JSON.stringify(groupOf(r, start));
    const item = groups.get(id);
    if (item) {
      item.requests += r.requests;
      item.bytesIn += r.bytesIn;
      item.bytesOut += r.bytesOut;
    } else {
      groups.set(id, itemOf(r, start));
    }
  }
  return [...groups.values()];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
