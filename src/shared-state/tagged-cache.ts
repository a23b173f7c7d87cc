import type { BroadcastHealth } from './shared-state.js';

interface Entry<V> {
  value: V;
  expiresAt: number;
  tags: readonly string[];
}

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
 * Bounded: past `maxEntries` the oldest entry goes.
 */
export class TaggedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly keysByTag = new Map<string, Set<string>>();
  private gen = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly broadcast?: BroadcastHealth,
  ) {
    broadcast?.onBroadcastRestored(() => this.clear());
  }

  /** The cached value, or undefined when there is none (a miss). */
  get(key: string): V | undefined {
    if (this.broadcast && !this.broadcast.broadcastLive()) {
      this.misses++;
      return undefined;
    }
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > Date.now()) {
      this.hits++;
      return entry.value;
    }
    if (entry) this.delete(key);
    this.misses++;
    return undefined;
  }

  /** Take before reading the source of truth; `set` stores only if no invalidation came since. */
  generation(): number {
    return this.gen;
  }

  set(key: string, value: V, tags: readonly string[], generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.gen || (this.broadcast && !this.broadcast.broadcastLive())) return;
    this.delete(key);
    if (this.entries.size >= this.maxEntries) this.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs, tags });
    for (const tag of tags) {
      let keys = this.keysByTag.get(tag);
      if (!keys) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  dropTag(tag: string): void {
    this.gen++;
    for (const key of [...(this.keysByTag.get(tag) ?? [])]) this.delete(key);
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

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const tag of entry.tags) {
      const keys = this.keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByTag.delete(tag);
    }
  }
}
