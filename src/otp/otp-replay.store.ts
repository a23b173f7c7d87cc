import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Database, Statement } from 'better-sqlite3';
import type { Repository } from 'typeorm';
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
  private sqliteInsert?: Statement<[string, number]>;

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
      await this.insertClaim(tokenHash, Date.now() + ttlMs);
      if (++this.claimsSincePrune >= 1000) this.prune();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw new DomainError('service_unavailable', 'one-time passwords cannot be checked right now');
    }
  }

  /**
   * The claim's insert as plain SQL, on every accepted OTP: TypeORM's insert builder cost several
   * times the insert itself. On SQLite, a statement prepared once on the connection's handle.
   */
  private async insertClaim(tokenHash: string, expiresAtMs: number): Promise<void> {
    const driver = this.used.manager.connection.driver;
    const table = this.used.metadata.tablePath;
    if (driver.options.type === 'better-sqlite3') {
      this.sqliteInsert ??= (driver as unknown as { databaseConnection: Database }).databaseConnection.prepare(`INSERT INTO ${table} (token_hash, expires_at) VALUES (?, ?)`);
      this.sqliteInsert.run(tokenHash, expiresAtMs);
    } else {
      await this.used.manager.query(`INSERT INTO ${table} (token_hash, expires_at) VALUES ($1, $2)`, [tokenHash, expiresAtMs]);
    }
  }

  private prune(): void {
    this.claimsSincePrune = 0;
    void this.used.createQueryBuilder().delete().where('expires_at < :now', { now: Date.now() }).execute().catch(() => undefined);
  }
}

function isUniqueViolation(err: unknown): boolean {
  // TypeORM wraps the driver's error (PostgreSQL); better-sqlite3's own is thrown as is.
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = String(e?.driverError?.code ?? e?.code ?? '');
  // PostgreSQL unique_violation; better-sqlite3's constraint codes.
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT');
}
