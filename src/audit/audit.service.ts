import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { bulkInsert, type SqlValue } from '../database/bulk-insert.js';
import { AuditEvent, type AuditOutcome } from './audit-event.entity.js';

/**
 * Where an audited action came from. Structural, so RequestMeta (src/auth/) fits as it is: the
 * audit log sits below auth and knows nothing of requests.
 */
export interface AuditOrigin {
  readonly ip: string;
  readonly userAgent?: string | undefined;
}

export interface AuditRecord {
  type: string;
  outcome: AuditOutcome;
  login?: string | null;
  accountId?: string | null;
  actor?: string | null;
  code?: string | null;
  /** Never a secret: callers pass names and ids, not passwords, tokens, keys or OTPs. */
  detail?: Record<string, unknown> | null;
  origin?: AuditOrigin;
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
  /** Events with a larger id (exports page forwards with it). */
  afterId?: number;
  /** By id: `desc` (default, newest first) or `asc` (oldest first, for exports). */
  order?: 'asc' | 'desc';
}

/** The columns a buffered event fills, in the order of its row (see `record`). */
const PROPERTIES = ['at', 'type', 'outcome', 'login', 'accountId', 'actor', 'code', 'ip', 'userAgent', 'detail'] as const satisfies readonly (keyof AuditEvent)[];

/**
 * The audit log. Events are buffered and written in batches (every 250 ms and at shutdown),
 * so that logging a failure never adds a database round trip to the request that caused it.
 */
@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  /** Rows in PROPERTIES order, as stored: `at` in epoch ms, `detail` as JSON (simple-json). */
  private buffer: SqlValue[][] = [];
  private readonly columns: string[];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {
    this.columns = PROPERTIES.map((p) => events.metadata.findColumnWithPropertyName(p)!.databaseName);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), 250).unref();
  }

  /** The last flush is the app's (app.factory.ts, Fastify onClose); here only the timer stops. */
  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  record(r: AuditRecord): void {
    this.buffer.push([
      Date.now(),
      r.type,
      r.outcome,
      r.login?.slice(0, 100) ?? null,
      r.accountId ?? null,
      r.actor ?? null,
      r.code ?? null,
      r.origin?.ip ?? null,
      r.origin?.userAgent?.slice(0, 256) ?? null,
      r.detail ? JSON.stringify(r.detail) : null,
    ]);
    if (this.buffer.length >= 500) void this.flush();
  }

  /** Writes what is buffered; awaits any write already under way, so reads after it see everything. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buffer.length === 0) return;
      const batch = this.buffer;
      this.buffer = [];
      try {
        // Plain SQL: a busy OTP client writes a row a request (see bulkInsert).
        await bulkInsert(this.events.manager.connection, { table: this.events.metadata.tablePath, columns: this.columns, rows: batch });
      } catch (err) {
        this.logger.error({ err, count: batch.length }, 'could not write audit events');
      }
    });
    return this.flushing;
  }

  async query(q: AuditQuery): Promise<AuditEvent[]> {
    await this.flush();
    // Instants are epoch-ms columns, so bounds are compared as numbers.
    const qb = this.events.createQueryBuilder('e').orderBy('e.id', q.order === 'asc' ? 'ASC' : 'DESC').take(q.limit);
    if (q.login) qb.andWhere('e.login = :login', { login: q.login });
    if (q.accountId) qb.andWhere('e.account_id = :accountId', { accountId: q.accountId });
    if (q.type) qb.andWhere('e.type = :type', { type: q.type });
    if (q.outcome) qb.andWhere('e.outcome = :outcome', { outcome: q.outcome });
    if (q.from) qb.andWhere('e.at >= :from', { from: q.from.getTime() });
    if (q.to) qb.andWhere('e.at <= :to', { to: q.to.getTime() });
    if (q.beforeId) qb.andWhere('e.id < :beforeId', { beforeId: q.beforeId });
    if (q.afterId) qb.andWhere('e.id > :afterId', { afterId: q.afterId });
    return qb.getMany();
  }
}
