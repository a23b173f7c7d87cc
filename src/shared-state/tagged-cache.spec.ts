import { afterEach, describe, expect, it, vi } from 'vitest';
import { TaggedCache } from './tagged-cache.js';

describe('TaggedCache', () => {
  afterEach(() => vi.useRealTimers());

  it('stores, counts hits and misses, and expires after the TTL', () => {
    vi.useFakeTimers();
    const cache = new TaggedCache<string>(1_000);
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'A', ['t'], cache.generation());
    expect(cache.get('a')).toBe('A');
    vi.advanceTimersByTime(1_001);
    expect(cache.get('a')).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([1, 2]);
  });

  it('drops every entry of a tag, and only those', () => {
    const cache = new TaggedCache<number>(60_000);
    const g = cache.generation();
    cache.set('k1', 1, ['alice'], g);
    cache.set('k2', 2, ['alice-web', 'alice'], g);
    cache.set('k3', 3, ['bob'], g);
    cache.dropTag('alice');
    expect([cache.get('k1'), cache.get('k2'), cache.get('k3')]).toEqual([undefined, undefined, 3]);
  });

  it('does not store a value read before an invalidation', () => {
    const cache = new TaggedCache<string>(60_000);
    const before = cache.generation();
    cache.dropTag('anything'); // a change lands while the value was being read
    cache.set('k', 'stale', ['x'], before);
    expect(cache.get('k')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest, and stores nothing with a zero TTL', () => {
    const cache = new TaggedCache<number>(60_000, 2);
    for (const k of ['a', 'b', 'c']) cache.set(k, 1, [], cache.generation());
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([undefined, 1, 1, 2]);
    const off = new TaggedCache<number>(0);
    off.set('a', 1, [], off.generation());
    expect(off.get('a')).toBeUndefined();
  });

  it('releases the tags of an entry that is evicted, expires or is replaced', () => {
    vi.useFakeTimers();
    const cache = new TaggedCache<number>(1_000, 2);
    cache.set('a', 1, ['alice'], cache.generation());
    cache.set('b', 2, ['bob'], cache.generation());
    expect(cache.get('a')).toBe(1); // a is now the most recently used: b goes next
    cache.set('c', 3, ['carol'], cache.generation());
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.tagCount]).toEqual([1, undefined, 3, 2]);
    // Dropping the evicted entry's tag must not reach the key's next holder.
    cache.set('b', 4, ['dave'], cache.generation());
    cache.dropTag('bob');
    expect(cache.get('b')).toBe(4);
    // A replaced entry's old tag no longer reaches it.
    cache.set('b', 5, ['erin'], cache.generation());
    cache.dropTag('dave');
    expect([cache.get('b'), cache.tagCount]).toEqual([5, 2]);
    vi.advanceTimersByTime(1_001);
    expect([cache.get('b'), cache.get('c')]).toEqual([undefined, undefined]);
    expect(cache.tagCount).toBe(0);
  });

  it('refuses a value read before its tag was dropped, and stores one read after', () => {
    const cache = new TaggedCache<string>(60_000);
    cache.set('k', 'v1', ['alice'], cache.generation());
    const before = cache.generation();
    cache.dropTag('alice');
    cache.set('k', 'v1', ['alice'], before);
    expect([cache.get('k'), cache.size, cache.tagCount]).toEqual([undefined, 0, 0]);
    cache.set('k', 'v2', ['alice'], cache.generation());
    expect(cache.get('k')).toBe('v2');
  });
});
