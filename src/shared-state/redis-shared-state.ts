import { Redis } from 'ioredis';
import { SharedState } from './shared-state.js';

/**
 * Redis adapter. Keys and channels carry a prefix so that several deployments (or test runs)
 * can share one Redis without seeing each other. Commands fail fast when Redis is down
 * (no offline queue): callers then fail closed rather than wait.
 */
export class RedisSharedState extends SharedState {
  private readonly client: Redis;
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  constructor(url: string, private readonly prefix: string) {
    super();
    this.client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.client.on('error', () => undefined); // surfaced per command and by ping()
  }

  /** Connects both connections; throws when Redis is unreachable, so a bad REDIS_URL stops the start. */
  async connect(): Promise<void> {
    await this.client.connect();
    this.subscriber = this.client.duplicate({ enableOfflineQueue: true });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    await this.subscriber.connect();
  }

  async setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(this.prefix + key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    const k = this.prefix + key;
    // PEXPIRE NX sets the window at the first increment only (Redis >= 7).
    const res = await this.client.multi().incr(k).pexpire(k, Math.max(1, Math.ceil(ttlMs)), 'NX').exec();
    const [err, value] = res?.[0] ?? [new Error('redis transaction failed'), 0];
    if (err) throw err;
    return Number(value);
  }

  async getCount(key: string): Promise<number> {
    return Number((await this.client.get(this.prefix + key)) ?? 0);
  }

  async delete(key: string): Promise<void> {
    await this.client.del(this.prefix + key);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    const full = this.prefix + channel;
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      await this.subscriber?.subscribe(full);
    }
    set.add(handler);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.subscriber?.disconnect();
    this.client.disconnect();
  }
}
