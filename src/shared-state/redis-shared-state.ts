import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SharedState } from './shared-state.js';

/** How often this instance sends itself a heartbeat over pub/sub. */
/** How long one command may wait for Redis's answer. */
const COMMAND_TIMEOUT_MS = 1000;
const HEARTBEAT_MS = 250;
/** Broadcasts count as interrupted when no heartbeat came back for this long. */
const HEARTBEAT_TIMEOUT_MS = 1_000;
/** A publish that failed is retried until it goes through, this long at most (the longest VERIFY_CACHE_TTL). */
const PENDING_MAX_AGE_MS = 3_600_000;
const PENDING_MAX = 10_000;

/**
 * Redis adapter. Keys and channels carry a prefix so that several deployments (or test runs)
 * can share one Redis without seeing each other. Commands fail fast when Redis is down
 * (no offline queue): callers then fail closed rather than wait.
 *
 * Broadcast health (see BroadcastHealth): the subscriber connection must be up, and a heartbeat
 * this instance publishes to itself every 250 ms must come back. That proves the whole path
 * (publish → Redis → subscriber), so a hung connection or a partition counts as an interruption
 * within a second, not only a closed socket. Broadcasts count as restored when a heartbeat comes
 * back after an interruption, once the subscriptions are in place again.
 *
 * A publish that fails (Redis down) does not fail the change that announced it — that change is
 * committed already — but is queued and retried until it goes through; meanwhile every instance
 * that cannot hear broadcasts serves nothing from its caches.
 */
export class RedisSharedState extends SharedState {
  private readonly client: Redis;
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  private readonly heartbeatChannel: string;
  private readonly restoredHandlers = new Set<() => void>();
  private subscriberReady = false;
  private lastHeartbeat = 0;
  /** Set when broadcasts may have been missed; cleared (with the restored handlers) by the next heartbeat. */
  private interrupted = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending: Array<{ channel: string; message: string; at: number }> = [];
  private flushing = false;

  constructor(url: string, private readonly prefix: string) {
    super();
    // commandTimeout: a Redis that holds the connection open but answers nothing (a partition)
    // fails each command after a second, so callers fall back as for Redis down, instead of
    // every request that counts a failure or claims an OTP waiting for the connection to come back.
    this.client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS });
    this.client.on('error', () => undefined); // surfaced per command and by ping()
    this.heartbeatChannel = `${prefix}heartbeat:${randomUUID()}`;
  }

  /** Connects both connections; throws when Redis is unreachable, so a bad REDIS_URL stops the start. */
  async connect(): Promise<void> {
    await this.client.connect();
    const subscriber = this.client.duplicate({ enableOfflineQueue: true });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.heartbeatChannel) return this.heartbeat();
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    subscriber.on('close', () => this.lost());
    subscriber.on('reconnecting', () => this.lost());
    // ioredis resubscribes on reconnect, after `ready`; subscribing again (a no-op for Redis) and
    // waiting for it means the subscriptions are in place before the next heartbeat is trusted.
    subscriber.on('ready', () => {
      if (!this.interrupted) return;
      subscriber.subscribe(this.heartbeatChannel, ...this.handlers.keys()).then(
        () => (this.subscriberReady = true),
        () => undefined,
      );
    });
    await subscriber.connect();
    await subscriber.subscribe(this.heartbeatChannel);
    this.subscriberReady = true;
    this.lastHeartbeat = Date.now();
    this.timer = setInterval(() => this.tick(), HEARTBEAT_MS);
    this.timer.unref();
  }

  override broadcastLive(): boolean {
    return this.subscriberReady && !this.interrupted && Date.now() - this.lastHeartbeat < HEARTBEAT_TIMEOUT_MS;
  }

  override onBroadcastRestored(handler: () => void): void {
    this.restoredHandlers.add(handler);
  }

  private lost(): void {
    this.subscriberReady = false;
    this.interrupted = true;
  }

  private heartbeat(): void {
    const now = Date.now();
    if (now - this.lastHeartbeat >= HEARTBEAT_TIMEOUT_MS) this.interrupted = true;
    this.lastHeartbeat = now;
    if (this.interrupted && this.subscriberReady) {
      this.interrupted = false;
      for (const handler of this.restoredHandlers) handler();
    }
  }

  private tick(): void {
    if (Date.now() - this.lastHeartbeat >= HEARTBEAT_TIMEOUT_MS) this.interrupted = true;
    this.client.publish(this.heartbeatChannel, '1').catch(() => undefined);
    if (this.pending.length) void this.flushPending();
  }

  private async flushPending(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length) {
        const next = this.pending[0]!;
        if (Date.now() - next.at > PENDING_MAX_AGE_MS) {
          this.pending.shift();
          continue;
        }
        await this.client.publish(next.channel, next.message);
        this.pending.shift();
      }
    } catch {
      // still down: the next tick tries again
    } finally {
      this.flushing = false;
    }
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
    const full = this.prefix + channel;
    try {
      // Behind earlier failed ones, to keep their order.
      if (this.pending.length === 0) return void (await this.client.publish(full, message));
    } catch {
      // queued below
    }
    if (this.pending.length >= PENDING_MAX) this.pending.shift();
    this.pending.push({ channel: full, message, at: Date.now() });
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
    clearInterval(this.timer);
    this.restoredHandlers.clear();
    this.handlers.clear();
    this.subscriber?.disconnect();
    this.client.disconnect();
  }
}
