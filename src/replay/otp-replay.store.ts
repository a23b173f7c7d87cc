import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { bulkInsert } from '../database/bulk-insert.js';
import { DomainError } from '../errors/domain-error.js';
import { SharedState } from '../shared-state/shared-state.js';
import { OtpUsed } from './otp-used.entity.js';

interface PendingClaim {
  expiresAtMs: number;
  settle: (won: boolean) => void;
  fail: (err: unknown) => void;
}

/**
 * "Accepted at most once" (contract §4.5), across concurrent requests and instances. With Redis the
 * claim is an atomic SET NX PX, and the winner also records it in the database; without Redis,
 * the primary-key insert in the shared database is the claim. Either way the record lives until
 * EXPIRE, so the set stays bounded. A store that cannot answer fails closed (503): an OTP is never
 * accepted without its claim — with Redis configured and down, OTPs are refused until it is back.
 *
 * Why the database record with Redis too: Redis decides races cheaply, but a Redis that restarts
 * without persistence forgets its keys, and every token used in the last OTP_MAX_TTL would be new
 * again. The insert (one per accepted OTP; replays never reach it) keeps the claim durable.
 *
 * Group commit: the claims that arrive while the previous batch is being written (or in the same
 * turn of the event loop) are inserted together, in one transaction, and each request waits for
 * its batch's commit before it is answered. A commit per OTP cost more than the rest of the
 * request; a batch costs about one. `ON CONFLICT DO NOTHING` tells each claim whether it won.
 */
@Injectable()
export class OtpReplayStore {
  private claimsSincePrune = 0;
  private pending = new Map<string, PendingClaim>();
  private flushScheduled = false;
  private writing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: SharedState,
    @InjectRepository(OtpUsed) private readonly used: Repository<OtpUsed>,
  ) {}

  /**
   * True when this call is the first to present the token. `validUntil` is the first instant the
   * token is no longer accepted, a function of the token (its EXPIRE): the record's key holds it.
   */
  async claim(tokenHash: string, validUntil: Date): Promise<boolean> {
    const expiresAtMs = validUntil.getTime();
    try {
      if (this.config.redisUrl && !(await this.state.setIfAbsent(`otp:${tokenHash}`, Math.max(1_000, expiresAtMs - Date.now())))) return false;
    } catch {
      throw unavailable();
    }
    // The same token twice in one batch: the first one in claims it, the other is the replay.
    if (this.pending.has(tokenHash)) return false;
    return new Promise<boolean>((settle, fail) => {
      this.pending.set(tokenHash, { expiresAtMs, settle, fail });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.writing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.writing = true;
    try {
      const claims = [...batch];
      const inserted = await bulkInsert(this.used.manager.connection, {
        table: this.used.metadata.tablePath,
        columns: ['expires_at', 'token_hash'],
        rows: claims.map(([hash, c]) => [c.expiresAtMs, hash]),
        skipExisting: 'token_hash',
      });
      const won = new Set(inserted);
      claims.forEach(([, c], i) => c.settle(won.has(i)));
      this.claimsSincePrune += batch.size;
      if (this.claimsSincePrune >= 1000) this.prune();
    } catch {
      for (const c of batch.values()) c.fail(unavailable());
    } finally {
      this.writing = false;
      if (this.pending.size > 0) this.scheduleFlush();
    }
  }

  private prune(): void {
    this.claimsSincePrune = 0;
    void this.used.createQueryBuilder().delete().where('expires_at < :now', { now: Date.now() }).execute().catch(() => undefined);
  }
}

function unavailable(): DomainError {
  return new DomainError('service_unavailable', 'one-time passwords cannot be checked right now');
}
