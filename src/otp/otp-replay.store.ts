import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { SharedState } from '../shared-state/shared-state.js';
import { OtpUsed } from './otp-used.entity.js';

/**
 * "Accepted at most once" (SPEC §4.5), across concurrent requests and instances. With Redis the
 * claim is an atomic SET NX PX, and the winner also records it in the database; without Redis,
 * the primary-key insert in the shared database is the claim. Either way the record lives until
 * EXPIRE, so the set stays bounded. A store that cannot answer fails closed (503): an OTP is never
 * accepted without its claim — with Redis configured and down, OTPs are refused until it is back.
 *
 * Why the database record with Redis too: Redis decides races cheaply, but a Redis that restarts
 * without persistence forgets its keys, and every token used in the last OTP_MAX_TTL would be new
 * again. The insert (one per accepted OTP; replays never reach it) keeps the claim durable.
 */
@Injectable()
export class OtpReplayStore {
  private claimsSincePrune = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly state: SharedState,
    @InjectRepository(OtpUsed) private readonly used: Repository<OtpUsed>,
  ) {}

  /** True when this call is the first to present the token. */
  async claim(tokenHash: string, expiresAt: Date): Promise<boolean> {
    const ttlMs = Math.max(1_000, expiresAt.getTime() - Date.now() + 1_000);
    try {
      if (this.config.redisUrl && !(await this.state.setIfAbsent(`otp:${tokenHash}`, ttlMs))) return false;
      await this.used.insert({ tokenHash, expiresAt: new Date(Date.now() + ttlMs) });
      if (++this.claimsSincePrune >= 1000) this.prune();
      return true;
    } catch (err) {
      if (err instanceof QueryFailedError && isUniqueViolation(err)) return false;
      throw new DomainError('service_unavailable', 'one-time passwords cannot be checked right now');
    }
  }

  private prune(): void {
    this.claimsSincePrune = 0;
    void this.used.createQueryBuilder().delete().where('expires_at < :now', { now: Date.now() }).execute().catch(() => undefined);
  }
}

function isUniqueViolation(err: QueryFailedError): boolean {
  const driverError = err.driverError as { code?: string } | undefined;
  // PostgreSQL unique_violation; better-sqlite3's constraint codes.
  return driverError?.code === '23505' || /^SQLITE_CONSTRAINT/.test(driverError?.code ?? '');
}
