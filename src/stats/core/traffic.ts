/**
 * Pure parts of request accounting (contract §7 "Statistics"): which area a URL belongs to, hourly
 * buckets, and the in-memory counter buffer that batches counts between database flushes.
 */

export const TRAFFIC_AREAS = ['file', 'stat', 'sublogin', 'dav', 'backup', 'other'] as const;
export type TrafficArea = (typeof TRAFFIC_AREAS)[number];

const API_AREAS: ReadonlySet<string> = new Set(['file', 'stat', 'sublogin']);

/**
 * The area of a request URL, as the router will see it: query and matrix parameters
 * (`;api_key=…`) are ignored, segments are compared as sent (routes are case-sensitive and
 * not percent-decoded), so a URL that cannot reach an area's routes is `other`.
 */
export function trafficAreaOf(url: string): TrafficArea {
  // Without matrix parameters (nearly every request), prefixes decide without building segments.
  if (!url.includes(';')) return plainAreaOf(url);
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  const seg = path.split('/').map((s) => {
    const semi = s.indexOf(';');
    return semi === -1 ? s : s.slice(0, semi);
  });
  // seg[0] is what precedes the leading '/': empty for every origin-form URL.
  if (seg[0] !== '') return 'other';
  if (seg[1] === 'api' && seg[2] !== undefined && API_AREAS.has(seg[2])) return seg[2] as TrafficArea;
  if (seg[1] === 'dav' || (seg[1] === 'v2' && seg[2] === 'dav')) return 'dav';
  if (seg[1] === 'backup') return 'backup';
  if (seg[1] === 'link' && seg[2] !== undefined) return 'file';
  return 'other';
}

/** trafficAreaOf for a URL without `;`: the same answers, without splitting the path. */
function plainAreaOf(url: string): TrafficArea {
  if (url.charCodeAt(0) !== 47 /* / */) return 'other';
  if (url.startsWith('/api/')) {
    for (const area of API_AREA_LIST) if (url.startsWith(area, 5) && endsSegment(url, 5 + area.length)) return area;
    return 'other';
  }
  if (url.startsWith('/dav') && endsSegment(url, 4)) return 'dav';
  if (url.startsWith('/v2/dav') && endsSegment(url, 7)) return 'dav';
  if (url.startsWith('/backup') && endsSegment(url, 7)) return 'backup';
  // A signed link's download or upload is its creator's file traffic (contract §4.8).
  if (url.startsWith('/link/')) return 'file';
  return 'other';
}

const API_AREA_LIST = ['file', 'stat', 'sublogin'] as const satisfies readonly TrafficArea[];

/** Whether a path segment ends at `i`: the URL's end, `/`, or the query or fragment. */
function endsSegment(url: string, i: number): boolean {
  if (i >= url.length) return true;
  const c = url.charCodeAt(i);
  return c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Start of the UTC hour (or day) holding `ms`. */
export function bucketStart(ms: number, size: number = HOUR_MS): number {
  return ms - (((ms % size) + size) % size);
}

export interface CounterRow<K, C> {
  key: K;
  counts: C;
}

/**
 * Counts added up per key in memory. `drain()` hands the batch to a writer and starts afresh;
 * a writer that fails gives the batch back with `restore()`, which adds it to whatever was
 * counted meanwhile, so no count is lost or counted twice.
 */
export class CounterBuffer<K, C extends { [F in keyof C]: number }> {
  private rows = new Map<string, CounterRow<K, C>>();

  constructor(private readonly keyOf: (key: K) => string) {}

  get size(): number {
    return this.rows.size;
  }

  add(key: K, counts: C): void {
    const id = this.keyOf(key);
    const row = this.rows.get(id);
    if (!row) {
      this.rows.set(id, { key, counts: { ...counts } });
      return;
    }
    for (const name of Object.keys(counts) as (keyof C)[]) {
      (row.counts[name] as number) += counts[name];
    }
  }

  drain(): CounterRow<K, C>[] {
    const batch = [...this.rows.values()];
    this.rows = new Map();
    return batch;
  }

  restore(batch: readonly CounterRow<K, C>[]): void {
    for (const row of batch) this.add(row.key, row.counts);
  }
}

export interface TrafficKey {
  /** Start of the UTC hour, epoch ms. */
  hour: number;
  /** The customer; '' when the request had none (anonymous, failed authentication). */
  accountId: string;
  /** The sublogin's login; '' for none. */
  sublogin: string;
  area: TrafficArea;
  method: string;
  status: number;
}

export interface TrafficCounts {
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

export interface AuthKey {
  hour: number;
  accountId: string;
  method: string;
  /** 'success', or the error code of the failure. */
  outcome: string;
}

export interface AuthCounts {
  count: number;
}

/** Requests that came through an application (an API key, or an OAuth client's token). */
export interface AppKey {
  hour: number;
  /** The customer; requests without one are not counted per application. */
  accountId: string;
  /** The application's id. */
  applicationId: string;
}

// Fixed-order fields, every free-form string but the last one length-prefixed: unambiguous
// whatever the strings contain, and cheaper than JSON.stringify on every request (issue 18).
export const trafficKeyId = (k: TrafficKey): string =>
  `${k.hour}|${k.status}|${k.area}|${k.method.length}:${k.method}|${k.accountId.length}:${k.accountId}|${k.sublogin}`;
export const authKeyId = (k: AuthKey): string => JSON.stringify([k.hour, k.accountId, k.method, k.outcome]);
export const appKeyId = (k: AppKey): string => JSON.stringify([k.hour, k.accountId, k.applicationId]);
