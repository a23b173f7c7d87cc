/**
 * Fast state that several instances must agree on (contract §1): the OTP replay set, brute-force
 * counters, and the broadcast that invalidates caches. One port, two adapters: in-process
 * (one instance) and Redis (several instances).
 */
/**
 * Whether broadcasts (publish/subscribe) are known to arrive here. Caches that rely on broadcast
 * invalidation ("revocation is immediate", contract §4.1) serve entries only while it holds (fail
 * closed): while it does not, a change on another instance could go unheard, so every lookup goes
 * to the database. When broadcasts flow again, some may have been missed: the caches drop
 * everything and start over.
 */
export interface BroadcastHealth {
  broadcastLive(): boolean;
  /** `handler` runs each time broadcasts flow again after an interruption. */
  onBroadcastRestored(handler: () => void): void;
}

export abstract class SharedState implements BroadcastHealth {
  /** Atomically stores `key` unless present. True when this call stored it (the caller "won"). */
  abstract setIfAbsent(key: string, ttlMs: number): Promise<boolean>;
  /** Increments a counter that expires `ttlMs` after its first increment; returns the new value. */
  abstract incr(key: string, ttlMs: number): Promise<number>;
  /** Reads a counter (0 when absent or expired). */
  abstract getCount(key: string): Promise<number>;
  abstract delete(key: string): Promise<void>;
  /** Delivers `message` to every subscriber of `channel` on every instance, this one included. */
  abstract publish(channel: string, message: string): Promise<void>;
  abstract subscribe(channel: string, handler: (message: string) => void): Promise<void>;
  /** In-process delivery cannot be interrupted: always live. The Redis adapter tracks its subscriber. */
  broadcastLive(): boolean {
    return true;
  }
  onBroadcastRestored(_handler: () => void): void {}
  /** Health for /ready. */
  abstract ping(): Promise<boolean>;
  abstract close(): Promise<void>;
}
