import { LRUCache } from 'lru-cache';
import type { BroadcastHealth } from './shared-state.js';

interface Entry<V> {
  value: V;
  tags: readonly string[];
}

/**
 * Wall-clock time, as the hand-written cache used (fake timers move it in tests), looked up at
 * call time; lru-cache reads it at most once a millisecond (ttlResolution), a clock read costing
 * about as much as the rest of a hit.
 */
const WALL_CLOCK = { now: () => Date.now() };

/**
 * An in-memory cache whose entries are dropped by tag (a login, an application id) when the
 * shared-state broadcast announces a change, with two guards that make "revocation is
 * immediate" hold:
 * - a read that started before an invalidation is not stored (`generation` → `set`), so a
 *   slow database read cannot put back what a change just removed;
 * - a TTL, should a broadcast ever be lost;
 * - given the broadcast's health, it fails closed: while broadcasts may go unheard (Redis down,
 *   the subscriber disconnected) it serves and stores nothing, and when they flow again it drops
 *   everything, since the changes announced meanwhile are unknown.
 * Storage, TTL and the bound (least recently used go first) are lru-cache's; this class adds the
 * tags, the generation and the broadcast rule. Whatever removes an entry (eviction, expiry,
 * replacement, a tag) goes through `dispose`, which keeps the tag index in step.
 */
export class TaggedCache<V> {
  private readonly entries: LRUCache<string, Entry<V>>;
  private readonly keysByTag = new Map<string, Set<string>>();
  private gen = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly ttlMs: number,
    maxEntries = 100_000,
    private readonly broadcast?: BroadcastHealth,
  ) {
    this.entries = new LRUCache<string, Entry<V>>({
      // Counted as sizes of 1: `max` would allocate index arrays for all its entries up front
      // (megabytes at 100,000), for caches that are mostly far from full.
      maxSize: maxEntries,
      sizeCalculation: () => 1,
      ttl: ttlMs > 0 ? ttlMs : undefined,
      // Expired entries go when looked up or evicted: no timer per entry, no age refresh on a hit.
      ttlAutopurge: false,
      updateAgeOnGet: false,
      perf: WALL_CLOCK,
      dispose: (entry, key) => this.untag(key, entry.tags),
    });
    broadcast?.onBroadcastRestored(() => this.clear());
  }

  /** The cached value, or undefined when there is none (a miss). */
  get(key: string): V | undefined {
    if (this.broadcast && !this.broadcast.broadcastLive()) {
      this.misses++;
      return undefined;
    }
    const entry = this.entries.get(key);
    if (entry) {
      this.hits++;
      return entry.value;
    }
    this.misses++;
    return undefined;
  }

  /** Take before reading the source of truth; `set` stores only if no invalidation came since. */
  generation(): number {
    return this.gen;
  }

  set(key: string, value: V, tags: readonly string[], generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.gen || (this.broadcast && !this.broadcast.broadcastLive())) return;
    // Deleted first, so the old entry's tags are released before the new ones are indexed.
    this.entries.delete(key);
    this.entries.set(key, { value, tags });
    for (const tag of tags) {
      let keys = this.keysByTag.get(tag);
      if (!keys) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  dropTag(tag: string): void {
    this.gen++;
    for (const key of [...(this.keysByTag.get(tag) ?? [])]) this.entries.delete(key);
  }

  /** Drops everything; a read under way is not stored afterwards. */
  clear(): void {
    this.gen++;
    this.entries.clear();
    this.keysByTag.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** How many tags index at least one entry (for tests: the index follows evictions). */
  get tagCount(): number {
    return this.keysByTag.size;
  }

  private untag(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByTag.delete(tag);
    }
  }
}
