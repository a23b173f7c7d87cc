/**
 * Fast state that several instances must agree on (SPEC §1): the OTP replay set, brute-force
 * counters, and the broadcast that invalidates caches. One port, two adapters: in-process
 * (one instance) and Redis (several instances).
 */
export abstract class SharedState {
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
  /** Health for /ready. */
  abstract ping(): Promise<boolean>;
  abstract close(): Promise<void>;
}
