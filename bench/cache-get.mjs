// The cost of a cache hit, before and after lru-cache went under the hand-written caches (issue 17):
//   node --experimental-transform-types --expose-gc --no-warnings bench/cache-get.mjs
// Each row times a hit (the request's own look-up) in a warm loop over 1,000 resident keys, old
// and new alternating for ROUNDS rounds; the table gives the medians in ns per look-up. The "old"
// code is the hand-written caches as they were, copied here; the new TaggedCache is the real one,
// the other rows use the options the service now uses. All rows' caches are made and used before
// any is timed, as in the service, where they share lru-cache's code; `ROW=<n>` times one row in
// a process that uses only its cache.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { TaggedCache } from '../src/shared-state/tagged-cache.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 9);
const LOOKUPS = Number(process.env.LOOKUPS ?? 2_000_000);
const ONLY = process.env.ROW === undefined ? undefined : Number(process.env.ROW);
const live = { broadcastLive: () => true, onBroadcastRestored() {} };
const wallClock = { now: () => Date.now() };

/** TaggedCache's look-up as it was: a Map probe and a Date.now(); eviction by hand. */
class OldTaggedCache {
  entries = new Map();
  hits = 0;
  misses = 0;
  constructor(ttlMs, maxEntries, broadcast) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.broadcast = broadcast;
  }
  get(key) {
    if (this.broadcast && !this.broadcast.broadcastLive()) {
      this.misses++;
      return undefined;
    }
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > Date.now()) {
      this.hits++;
      return entry.value;
    }
    this.misses++;
    return undefined;
  }
  set(key, value, tags) {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value);
    this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs, tags });
  }
}

const keys = Array.from({ length: 1_000 }, (_, i) => createHash('sha256').update(`key${i}`).digest('base64'));
const paths = Array.from({ length: 1_000 }, (_, i) => `/file/info/dir${i % 37}/file${i}.txt`);

/** Each row: its name, the old and the new look-up, and the keys they are timed on. */
const rows = [];

// TaggedCache (Basic verification, API keys, OTP and Bearer tokens): 100,000 entries at most.
rows.push(() => {
  const old = new OldTaggedCache(300_000, 100_000, live);
  const next = new TaggedCache(300_000, 100_000, live);
  for (const k of keys) {
    old.set(k, { k }, ['alice']);
    next.set(k, { k }, ['alice'], next.generation());
  }
  return ['TaggedCache.get', (k) => old.get(k), (k) => next.get(k), keys];
});

// TTLs here are an hour: long enough for every round to hit (a TTL's length does not change a hit's cost).
const HOUR = 3_600_000;

// AclService's resolvers: a Map re-inserted on use (LRU by hand), a rule budget and a TTL.
rows.push(() => {
  const ttl = HOUR;
  const map = new Map();
  const lru = new LRUCache({ maxSize: 100_000, ttl, ttlAutopurge: false, updateAgeOnGet: false, ttlResolution: 0, perf: wallClock });
  for (const k of keys) {
    map.set(k, { subloginId: k, resolver: {}, weight: 3, loadedAt: Date.now() });
    lru.set(k, { subloginId: k, resolver: {} }, { size: 3 });
  }
  const old = (k) => {
    const hit = map.get(k);
    if (hit && hit.subloginId === k && Date.now() - hit.loadedAt < ttl) {
      map.delete(k);
      map.set(k, hit);
      return hit.resolver;
    }
    return undefined;
  };
  const next = (k) => {
    const hit = lru.get(k);
    return hit && hit.subloginId === k ? hit.resolver : undefined;
  };
  return ['AclService resolver', old, next, keys];
});

// toCanonicalRequestPath's memo: a Map emptied when full, against an LRUCache without TTL.
rows.push(() => {
  const map = new Map();
  const lru = new LRUCache({ max: 10_000 });
  for (const p of paths) {
    map.set(p, p.toLowerCase());
    lru.set(p, p.toLowerCase());
  }
  return ['canonical request path', (p) => map.get(p), (p) => lru.get(p), paths];
});

// Area roots: a Map with an expiry per entry, against an LRUCache with a TTL.
rows.push(() => {
  const map = new Map();
  const lru = new LRUCache({ max: 10_000, ttl: HOUR, ttlResolution: 0, perf: wallClock });
  for (const p of paths) {
    map.set(p, { real: p, until: Date.now() + HOUR });
    lru.set(p, p);
  }
  const old = (p) => {
    const known = map.get(p);
    return known && known.until > Date.now() ? known.real : undefined;
  };
  return ['area root', old, (p) => lru.get(p), paths];
});

/**
 * A timing loop of its own for each look-up (compiled from source each time), so that the loop's
 * call site sees one function and only lru-cache's own code is shared between rows.
 */
const TIMER_SOURCE = `
  let sink = 0;
  for (let i = 0; i < 200000; i++) if (lookup(list[i % list.length]) !== undefined) sink++;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (lookup(list[i % list.length]) !== undefined) sink++;
  const ns = Number(process.hrtime.bigint() - start) / n;
  if (sink === 0) throw new Error('no hits');
  return ns;`;
const timer = (lookup, list) => {
  const run = new Function('lookup', 'list', 'n', 'process', TIMER_SOURCE);
  return () => run(lookup, list, LOOKUPS, process);
};
const median = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];

const made = rows.map((make, i) => (ONLY === undefined || ONLY === i ? make() : null)).filter((r) => r !== null);
const timed = made.map(([name, old, next, list]) => ({ name, old: timer(old, list), next: timer(next, list), a: [], b: [] }));
for (let r = 0; r < ROUNDS; r++) {
  for (const row of timed) {
    row.a.push(row.old());
    row.b.push(row.next());
  }
}

console.log(`node ${process.version}, ${LOOKUPS.toLocaleString()} look-ups a round, medians of ${ROUNDS} rounds${ONLY === undefined ? '' : `, row ${ONLY} alone`}\n`);
console.log('| a hit in | before (hand-written), ns | after (lru-cache), ns | difference, ns |');
console.log('|---|---|---|---|');
for (const row of timed) {
  const [a, b] = [median(row.a), median(row.b)];
  console.log(`| ${row.name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${b - a >= 0 ? '+' : ''}${(b - a).toFixed(0)} |`);
}

// What an empty cache holds: with `max`, lru-cache allocates its index arrays for every entry up front.
if (globalThis.gc) {
  const heapOf = (make) => {
    globalThis.gc();
    const before = process.memoryUsage();
    const made = make();
    globalThis.gc();
    const after = process.memoryUsage();
    void made;
    return (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 1024;
  };
  const old = heapOf(() => new OldTaggedCache(300_000, 100_000, live));
  const next = heapOf(() => new TaggedCache(300_000, 100_000, live));
  const withMax = heapOf(() => new LRUCache({ max: 100_000, ttl: 300_000 }));
  console.log(`\nAn empty cache of 100,000 entries at most: before ${Math.max(0, old).toFixed(0)} KiB, after ${Math.max(0, next).toFixed(0)} KiB (an LRUCache with \`max\` instead: ${withMax.toFixed(0)} KiB)`);
}
