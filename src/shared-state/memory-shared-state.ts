import { EventEmitter } from 'node:events';
import { SharedState } from './shared-state.js';

interface Entry {
  value: number;
  expiresAt: number;
}

/** In-process adapter: correct for one instance; several instances need Redis. */
export class MemorySharedState extends SharedState {
  private readonly entries = new Map<string, Entry>();
  private readonly bus = new EventEmitter().setMaxListeners(0);
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    super();
    // Expired entries are dropped lazily on read and by this sweep, so the map stays bounded.
    this.sweeper = setInterval(() => this.sweep(), 30_000).unref();
  }

  async setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.entries.set(key, { value: 1, expiresAt: this.now() + ttlMs });
    return true;
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    const entry = this.live(key);
    if (entry) return ++entry.value;
    this.entries.set(key, { value: 1, expiresAt: this.now() + ttlMs });
    return 1;
  }

  async getCount(key: string): Promise<number> {
    return this.live(key)?.value ?? 0;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async publish(channel: string, message: string): Promise<void> {
    this.bus.emit(channel, message);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    this.bus.on(channel, handler);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.bus.removeAllListeners();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
