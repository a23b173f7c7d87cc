import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketStart, CounterBuffer, DAY_MS, HOUR_MS, type TrafficCounts, type TrafficKey, trafficAreaOf, trafficKeyId } from './traffic.js';

describe('trafficAreaOf', () => {
  it.each([
    ['/api/file/list?path=/', 'file'],
    ['/api/file/upload', 'file'],
    ['/api/stat/traffic', 'stat'],
    ['/api/sublogin/list', 'sublogin'],
    ['/api;api_key=ABC/file/list', 'file'], // matrix parameters are not part of the name
    ['/api/file;api_key=ABC/list', 'file'],
    ['/dav/', 'dav'],
    ['/dav', 'dav'],
    ['/dav/a/b.txt', 'dav'],
    ['/v2/dav/x', 'dav'],
    ['/backup/x', 'backup'],
    ['/backup', 'backup'],
    ['/link/l1.abc.1.mac', 'file'], // a signed link's use is its creator's file traffic
    ['/link/l1.abc.1.mac/in/a.txt', 'file'],
    ['/link;x=1/l1.abc', 'file'],
    ['/link', 'other'],
    ['/links/x', 'other'],
    ['/api/me', 'other'],
    ['/api/admin/accounts', 'other'],
    ['/api/whoami', 'other'],
    ['/api', 'other'],
    ['/auth/login', 'other'],
    ['/', 'other'],
    ['*', 'other'],
    ['/API/file/list', 'other'], // routes are case-sensitive
    ['/api/%66ile/list', 'other'], // and not percent-decoded
    ['//api/file/list', 'other'],
    ['/davx', 'other'],
    ['/v2/davx', 'other'],
    ['/backups', 'other'],
    ['/other?x=/api/file', 'other'],
    ['/other#/api/file', 'other'],
  ])('%j → %s', (url, area) => {
    expect(trafficAreaOf(url)).toBe(area);
  });
});

describe('bucketStart', () => {
  it('floors to the UTC hour and day', () => {
    const t = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
    expect(bucketStart(t)).toBe(Date.UTC(2025, 0, 2, 3));
    expect(bucketStart(t, DAY_MS)).toBe(Date.UTC(2025, 0, 2));
    expect(bucketStart(Date.UTC(2025, 0, 2, 3))).toBe(Date.UTC(2025, 0, 2, 3));
  });

  it('property: the bucket holds the instant and is aligned', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.constantFrom(HOUR_MS, DAY_MS), (ms, size) => {
        const b = bucketStart(ms, size);
        expect(b % size).toBe(0);
        expect(b).toBeLessThanOrEqual(ms);
        expect(ms - b).toBeLessThan(size);
      }),
    );
  });
});

describe('CounterBuffer', () => {
  const key = (over: Partial<TrafficKey> = {}): TrafficKey => ({ hour: 0, accountId: 'a', sublogin: '', area: 'file', method: 'GET', status: 200, ...over });
  const counts = (requests: number, bytesIn: number, bytesOut: number): TrafficCounts => ({ requests, bytesIn, bytesOut });

  it('adds up counts per key, and keeps different keys apart', () => {
    const b = new CounterBuffer<TrafficKey, TrafficCounts>(trafficKeyId);
    b.add(key(), counts(1, 10, 100));
    b.add(key(), counts(1, 5, 50));
    b.add(key({ status: 404 }), counts(1, 1, 1));
    b.add(key({ sublogin: 'a-x' }), counts(1, 2, 2));
    expect(b.size).toBe(3);
    const batch = b.drain();
    expect(b.size).toBe(0);
    expect(batch.find((r) => r.key.status === 200 && r.key.sublogin === '')!.counts).toEqual(counts(2, 15, 150));
  });

  it('does not alias the counts object it was given', () => {
    const b = new CounterBuffer<TrafficKey, TrafficCounts>(trafficKeyId);
    const c = counts(1, 1, 1);
    b.add(key(), c);
    b.add(key(), c);
    expect(c).toEqual(counts(1, 1, 1));
  });

  it('keys with look-alike parts stay apart', () => {
    const b = new CounterBuffer<TrafficKey, TrafficCounts>(trafficKeyId);
    b.add(key({ accountId: 'a","b', sublogin: '' }), counts(1, 0, 0));
    b.add(key({ accountId: 'a', sublogin: 'b' }), counts(1, 0, 0));
    expect(b.size).toBe(2);
  });

  it('property: whatever fails in between, drained + restored + final totals equal what was added', () => {
    type Op = { kind: 'add'; k: number; n: number } | { kind: 'flush'; ok: boolean };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), k: fc.integer({ min: 0, max: 3 }), n: fc.integer({ min: 0, max: 1000 }) }),
      fc.record({ kind: fc.constant('flush' as const), ok: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops: Op[]) => {
        const b = new CounterBuffer<TrafficKey, TrafficCounts>(trafficKeyId);
        const added = new Map<number, number>();
        const stored = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'add') {
            b.add(key({ status: o.k }), counts(1, o.n, 0));
            added.set(o.k, (added.get(o.k) ?? 0) + o.n);
          } else {
            const batch = b.drain();
            if (o.ok) for (const r of batch) stored.set(r.key.status, (stored.get(r.key.status) ?? 0) + r.counts.bytesIn);
            else b.restore(batch);
          }
        }
        for (const r of b.drain()) stored.set(r.key.status, (stored.get(r.key.status) ?? 0) + r.counts.bytesIn);
        expect(stored).toEqual(added);
      }),
    );
  });
});
