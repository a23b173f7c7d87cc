import { describe, expect, it } from 'vitest';
import { CredentialEvents } from './credential-events.js';
import { MemorySharedState } from './memory-shared-state.js';
import type { BroadcastHealth } from './shared-state.js';
import { TaggedCache } from './tagged-cache.js';

/** A broadcast whose health the test switches, as the Redis adapter's heartbeat would. */
class SwitchableBroadcast implements BroadcastHealth {
  live = true;
  private readonly handlers: Array<() => void> = [];
  broadcastLive(): boolean {
    return this.live;
  }
  onBroadcastRestored(handler: () => void): void {
    this.handlers.push(handler);
  }
  interrupt(): void {
    this.live = false;
  }
  restore(): void {
    this.live = true;
    for (const h of this.handlers) h();
  }
}

describe('TaggedCache with broadcast health (fail closed)', () => {
  it('serves entries only while broadcasts are heard', () => {
    const health = new SwitchableBroadcast();
    const cache = new TaggedCache<string>(60_000, 100, health);
    cache.set('k', 'v', ['alice'], cache.generation());
    expect(cache.get('k')).toBe('v');
    health.interrupt();
    expect(cache.get('k')).toBeUndefined();
    // Nothing is stored meanwhile either.
    cache.set('k2', 'v2', ['bob'], cache.generation());
    expect(cache.size).toBe(1);
  });

  it('drops everything when broadcasts flow again, and a read under way is not stored', () => {
    const health = new SwitchableBroadcast();
    const cache = new TaggedCache<string>(60_000, 100, health);
    cache.set('k', 'old', ['alice'], cache.generation());
    health.interrupt();
    const before = cache.generation(); // a read that started during the interruption
    health.restore();
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.set('k', 'maybe-stale', ['alice'], before);
    expect(cache.get('k')).toBeUndefined();
    cache.set('k', 'fresh', ['alice'], cache.generation());
    expect(cache.get('k')).toBe('fresh');
  });

  it('without a health source (or in-process state) it is always live', () => {
    const cache = new TaggedCache<string>(60_000);
    cache.set('k', 'v', [], cache.generation());
    expect(cache.get('k')).toBe('v');
    const events = new CredentialEvents(new MemorySharedState());
    expect(events.broadcastLive()).toBe(true);
  });
});
