import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import type { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { AuditEvent, type AuditOutcome } from './audit-event.entity.js';

export interface AuditRecord {
  type: string;
  outcome: AuditOutcome;
  login?: string | null;
  accountId?: string | null;
  actor?: string | null;
  code?: string | null;
  /** Never a secret: callers pass names and ids, not passwords, tokens, keys or OTPs. */
  detail?: Record<string, unknown> | null;
  request?: FastifyRequest;
}

export interface AuditQuery {
  login?: string;
  accountId?: string;
  type?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  limit: number;
  beforeId?: number;
}

/**
 * The audit log. Events are buffered and written in batches (every 250 ms and at shutdown),
 * so that logging a failure never adds a database round trip to the request that caused it.
 */
@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private buffer: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), 250).unref();
  }

  /** The last flush is the app's (app.factory.ts, Fastify onClose); here only the timer stops. */
  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  record(r: AuditRecord): void {
    const e = this.events.create({
      at: new Date(),
      type: r.type,
      outcome: r.outcome,
      login: r.login?.slice(0, 100) ?? null,
      accountId: r.accountId ?? null,
      actor: r.actor ?? null,
      code: r.code ?? null,
      ip: r.request?.ip ?? null,
      userAgent: r.request?.headers['user-agent']?.slice(0, 256) ?? null,
      detail: r.detail ?? null,
    });
    this.buffer.push(e);
    if (this.buffer.length >= 500) void this.flush();
  }

  /** Writes what is buffered; awaits any write already under way, so reads after it see everything. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buffer.length === 0) return;
      const batch = this.buffer;
      this.buffer = [];
      try {
        await this.events.insert(batch as QueryDeepPartialEntity<AuditEvent>[]);
      } catch (err) {
        this.logger.error({ err, count: batch.length }, 'could not write audit events');
      }
    });
    return this.flushing;
  }

  async query(q: AuditQuery): Promise<AuditEvent[]> {
    await this.flush();
    // Instants are epoch-ms columns, so bounds are compared as numbers.
    const qb = this.events.createQueryBuilder('e').orderBy('e.id', 'DESC').take(q.limit);
    if (q.login) qb.andWhere('e.login = :login', { login: q.login });
    if (q.accountId) qb.andWhere('e.account_id = :accountId', { accountId: q.accountId });
    if (q.type) qb.andWhere('e.type = :type', { type: q.type });
    if (q.outcome) qb.andWhere('e.outcome = :outcome', { outcome: q.outcome });
    if (q.from) qb.andWhere('e.at >= :from', { from: q.from.getTime() });
    if (q.to) qb.andWhere('e.at <= :to', { to: q.to.getTime() });
    if (q.beforeId) qb.andWhere('e.id < :beforeId', { beforeId: q.beforeId });
    return qb.getMany();
  }
}
