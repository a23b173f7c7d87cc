import { Logger } from '@nestjs/common';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppKey, AuthCounts, AuthKey, CounterRow, TrafficCounts, TrafficKey } from './core/traffic.js';
import { StatsService } from './stats.service.js';
import type { StatsStore } from './stats.store.js';

/** A store that keeps rows in memory and fails while `failing` is set. */
class FakeStore {
  failing = false;
  traffic = new Map<string, TrafficCounts>();
  auth = new Map<string, number>();
  apps = new Map<string, TrafficCounts>();
  calls = 0;

  async add(
    traffic: readonly CounterRow<TrafficKey, TrafficCounts>[],
    auth: readonly CounterRow<AuthKey, AuthCounts>[],
    apps: readonly CounterRow<AppKey, TrafficCounts>[],
  ): Promise<void> {
    this.calls++;
    await Promise.resolve();
    if (this.failing) throw new Error('database down');
    for (const { key, counts } of traffic) {
      const id = `${key.accountId}|${key.area}|${key.method}|${key.status}|${key.hour}`;
      const old = this.traffic.get(id) ?? { requests: 0, bytesIn: 0, bytesOut: 0 };
      this.traffic.set(id, { requests: old.requests + counts.requests, bytesIn: old.bytesIn + counts.bytesIn, bytesOut: old.bytesOut + counts.bytesOut });
    }
    for (const { key, counts } of auth) {
      const id = `${key.accountId}|${key.method}|${key.outcome}`;
      this.auth.set(id, (this.auth.get(id) ?? 0) + counts.count);
    }
    for (const { key, counts } of apps) {
      const id = `${key.accountId}|${key.applicationId}|${key.hour}`;
      const old = this.apps.get(id) ?? { requests: 0, bytesIn: 0, bytesOut: 0 };
      this.apps.set(id, { requests: old.requests + counts.requests, bytesIn: old.bytesIn + counts.bytesIn, bytesOut: old.bytesOut + counts.bytesOut });
    }
  }
}

const hour = Date.UTC(2025, 5, 1, 10);

function sample(over: Partial<Parameters<StatsService['recordRequest']>[0]> = {}) {
  return { at: hour + 1234, accountId: 'acc', sublogin: null, applicationId: null, area: 'file' as const, method: 'GET', status: 200, bytesIn: 100, bytesOut: 1000, ...over };
}

describe('StatsService buffering', () => {
  beforeAll(() => {
    Logger.overrideLogger(false); // the failed flush is logged on purpose
  });

  it('adds requests up per hour and key, and writes them on flush', async () => {
    const store = new FakeStore();
    const stats = new StatsService(store as unknown as StatsStore);
    stats.recordRequest(sample());
    stats.recordRequest(sample({ at: hour + 3_599_999 }));
    stats.recordRequest(sample({ at: hour + 3_600_000 })); // the next hour
    stats.recordRequest(sample({ accountId: null, status: 401 }));
    await stats.flush();
    expect(store.traffic.get(`acc|file|GET|200|${hour}`)).toEqual({ requests: 2, bytesIn: 200, bytesOut: 2000 });
    expect(store.traffic.get(`acc|file|GET|200|${hour + 3_600_000}`)).toEqual({ requests: 1, bytesIn: 100, bytesOut: 1000 });
    expect(store.traffic.get(`|file|GET|401|${hour}`)).toEqual({ requests: 1, bytesIn: 100, bytesOut: 1000 });
  });

  it('keeps the counts of a failed flush for the next one, without double counting', async () => {
    const store = new FakeStore();
    const stats = new StatsService(store as unknown as StatsStore);
    stats.recordRequest(sample({ applicationId: 'app-a' }));
    stats.recordAuth('basic', 'invalid_credentials', 'acc');
    store.failing = true;
    await stats.flush(); // logged, not thrown
    expect(store.traffic.size).toBe(0);
    expect(store.apps.size).toBe(0);
    stats.recordRequest(sample({ applicationId: 'app-a' })); // counted while the database was down
    stats.recordAuth('basic', 'success', 'acc');
    store.failing = false;
    await stats.flush();
    expect(store.traffic.get(`acc|file|GET|200|${hour}`)).toEqual({ requests: 2, bytesIn: 200, bytesOut: 2000 });
    expect(store.apps.get(`acc|app-a|${hour}`)).toEqual({ requests: 2, bytesIn: 200, bytesOut: 2000 });
    expect(store.auth.get('acc|basic|invalid_credentials')).toBe(1);
    expect(store.auth.get('acc|basic|success')).toBe(1);
    await stats.flush();
    expect(store.traffic.get(`acc|file|GET|200|${hour}`)!.requests).toBe(2);
    expect(store.apps.get(`acc|app-a|${hour}`)!.requests).toBe(2);
  });

  it('adds requests up per customer, hour and application, only those with both', async () => {
    const store = new FakeStore();
    const stats = new StatsService(store as unknown as StatsStore);
    stats.recordRequest(sample({ applicationId: 'app-a' }));
    stats.recordRequest(sample({ applicationId: 'app-a', status: 404, method: 'PUT', area: 'stat' })); // any area, method, status
    stats.recordRequest(sample({ applicationId: 'app-a', at: hour + 3_600_000 })); // the next hour
    stats.recordRequest(sample({ applicationId: 'app-b', bytesIn: 7, bytesOut: 8 }));
    stats.recordRequest(sample({ applicationId: 'app-a', accountId: 'other' }));
    stats.recordRequest(sample({ applicationId: 'app-a', accountId: null, status: 401 })); // no customer: not per application
    stats.recordRequest(sample()); // no application
    await stats.flush();
    expect(Object.fromEntries(store.apps)).toEqual({
      [`acc|app-a|${hour}`]: { requests: 2, bytesIn: 200, bytesOut: 2000 },
      [`acc|app-a|${hour + 3_600_000}`]: { requests: 1, bytesIn: 100, bytesOut: 1000 },
      [`acc|app-b|${hour}`]: { requests: 1, bytesIn: 7, bytesOut: 8 },
      [`other|app-a|${hour}`]: { requests: 1, bytesIn: 100, bytesOut: 1000 },
    });
    // Every request is still in the traffic rows, with or without an application.
    expect([...store.traffic.values()].reduce((n, c) => n + c.requests, 0)).toBe(7);
  });

  it('serialises flushes: a flush after another sees everything recorded before it', async () => {
    const store = new FakeStore();
    const stats = new StatsService(store as unknown as StatsStore);
    stats.recordRequest(sample());
    const first = stats.flush();
    stats.recordRequest(sample());
    await stats.flush();
    await first;
    expect(store.traffic.get(`acc|file|GET|200|${hour}`)!.requests).toBe(2);
  });

  it('never buffers a count that could poison every later flush', async () => {
    const store = new FakeStore();
    const stats = new StatsService(store as unknown as StatsStore);
    stats.recordRequest(sample({ bytesIn: Number.NaN, bytesOut: -5, method: 'X'.repeat(100) }));
    await stats.flush();
    expect([...store.traffic.values()]).toEqual([{ requests: 1, bytesIn: 0, bytesOut: 0 }]);
    expect([...store.traffic.keys()][0]).toContain(`|${'X'.repeat(16)}|`);
  });

  it('flushes at shutdown and stops its timer', async () => {
    const store = new FakeStore();
    const stats = new StatsService(store as unknown as StatsStore);
    stats.onModuleInit();
    stats.recordRequest(sample());
    await stats.onApplicationShutdown();
    expect(store.traffic.size).toBe(1);
  });
});
