import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { KeyRing } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import { MemorySharedState } from '../shared-state/memory-shared-state.js';
import { SharedState } from '../shared-state/shared-state.js';
import { clientSubnet } from './core/client-subnet.js';
import { failureFingerprint, throttleDecision } from './core/throttle-policy.js';
import type { RequestMeta } from './request-meta.js';

/** Where an attempt came from: the throttle counts per client subnet. */
type Origin = Pick<RequestMeta, 'ip'>;

export interface FailureRecord {
  /** True when this exact wrong credential was seen before in the window (a stale client). */
  repeated: boolean;
  /** How often this exact wrong credential was tried in the window. */
  repeats: number;
  /** A short, non-reversible id of the wrong credential, to group a stale client's attempts. */
  fingerprintId: string;
}

/**
 * Brute-force throttling (contract §8) over the shared-state counters, so limits hold across
 * instances. The policy itself is the pure core/throttle-policy.ts.
 */
@Injectable()
export class ThrottleService {
  private readonly logger = new Logger(ThrottleService.name);
  private readonly local = new MemorySharedState();
  private degraded = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: SharedState,
    private readonly keys: KeyRing,
  ) {}

  subnetOf(origin: Origin): string {
    try {
      return clientSubnet(origin.ip);
    } catch {
      return origin.ip ?? 'unknown';
    }
  }

  /** Before verifying: refuse (429 + Retry-After) or slow down a guesser. */
  async check(login: string, origin: Origin): Promise<void> {
    const subnet = this.subnetOf(origin);
    const [loginSubnetFailures, subnetFailures, loginFailures] = await this.counters((state) =>
      Promise.all([state.getCount(this.pairKey(login, subnet)), state.getCount(`throttle:subnet:${subnet}`), state.getCount(`throttle:login:${login}`)]),
    );
    const decision = throttleDecision({ loginSubnetFailures, subnetFailures, loginFailures }, this.config.throttle);
    if (decision.action === 'refuse') {
      throw new DomainError('too_many_requests', 'too many failed attempts; try again later', { 'Retry-After': String(decision.retryAfterSeconds) });
    }
    if (decision.action === 'delay') await sleep(decision.ms);
  }

  /** After a failure: counts it, unless this same wrong credential was already counted. */
  async recordFailure(login: string, secret: string, origin: Origin): Promise<FailureRecord> {
    const subnet = this.subnetOf(origin);
    const fingerprint = failureFingerprint(login, subnet, this.keys.hmac('throttle-secret', secret));
    const ttl = this.config.throttle.windowSeconds * 1000;
    const repeats = await this.counters(async (state) => {
      const n = await state.incr(`throttle:fp:${fingerprint}`, ttl);
      if (n === 1) await Promise.all([state.incr(this.pairKey(login, subnet), ttl), state.incr(`throttle:subnet:${subnet}`, ttl), state.incr(`throttle:login:${login}`, ttl)]);
      return n;
    });
    return { repeated: repeats > 1, repeats, fingerprintId: fingerprint.slice(0, 12) };
  }

  /**
   * The counters live in the shared state, so limits hold across instances. When it cannot answer
   * (Redis down) they fall back to this instance's own counters: the limits then hold per
   * instance — at most N times the budget over N instances — rather than failing open (no limit
   * at all) or closed (nobody can sign in, though passwords are checked against the database).
   */
  private async counters<T>(op: (state: SharedState) => Promise<T>): Promise<T> {
    try {
      const result = await op(this.state);
      this.degraded = false;
      return result;
    } catch (err) {
      if (!this.degraded) this.logger.warn({ err }, 'shared state unreachable: brute-force limits fall back to per-instance counters');
      this.degraded = true;
      return op(this.local);
    }
  }

  private pairKey(login: string, subnet: string): string {
    return `throttle:pair:${login}:${subnet}`;
  }
}
