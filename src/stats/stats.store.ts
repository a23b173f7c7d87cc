import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppKey, AuthCounts, AuthKey, CounterRow, TrafficCounts, TrafficKey } from './core/traffic.js';

export interface TrafficRow extends TrafficKey, TrafficCounts {}
export interface AuthRow extends AuthKey, AuthCounts {}
export interface AppRow extends AppKey, TrafficCounts {
  /** The application's current name; null when it no longer exists. */
  applicationName: string | null;
}

// Rows per INSERT, largest first. Only these few statement shapes ever exist, so prepared
// statements are reused rather than prepared anew for every batch size (with better-sqlite3,
// statements dropped from TypeORM's cache become garbage for the GC to finalise).
const CHUNK_SIZES = [64, 8, 1];

/**
 * Persistence of the hourly statistics. Writing is an upsert that *adds* to an existing row,
 * `INSERT … ON CONFLICT (key) DO UPDATE SET n = t.n + excluded.n`, which SQLite (3.24+) and
 * PostgreSQL both speak: instances flushing the same hour never overwrite each other's counts.
 */
@Injectable()
export class StatsStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Adds the batches in one transaction: all of it is counted, or none (and it can be retried). */
  async add(
    traffic: readonly CounterRow<TrafficKey, TrafficCounts>[],
    auth: readonly CounterRow<AuthKey, AuthCounts>[],
    apps: readonly CounterRow<AppKey, TrafficCounts>[],
  ): Promise<void> {
    if (traffic.length === 0 && auth.length === 0 && apps.length === 0) return;
    await this.ds.transaction(async (em) => {
      await this.upsertAdd(
        em,
        'traffic_hours',
        ['account_id', 'hour', 'sublogin', 'area', 'method', 'status'],
        ['requests', 'bytes_in', 'bytes_out'],
        traffic.map(({ key: k, counts: c }) => [k.accountId, k.hour, k.sublogin, k.area, k.method, k.status, c.requests, c.bytesIn, c.bytesOut]),
      );
      await this.upsertAdd(
        em,
        'auth_hours',
        ['account_id', 'hour', 'method', 'outcome'],
        ['count'],
        auth.map(({ key: k, counts: c }) => [k.accountId, k.hour, k.method, k.outcome, c.count]),
      );
      await this.upsertAdd(
        em,
        'app_hours',
        ['account_id', 'hour', 'application_id'],
        ['requests', 'bytes_in', 'bytes_out'],
        apps.map(({ key: k, counts: c }) => [k.accountId, k.hour, k.applicationId, c.requests, c.bytesIn, c.bytesOut]),
      );
    });
  }

  async traffic(accountId: string, from: number, to: number, area?: string): Promise<TrafficRow[]> {
    const qb = this.ds
      .createQueryBuilder()
      .select(['t.hour AS hour', 't.sublogin AS sublogin', 't.area AS area', 't.method AS method', 't.status AS status'])
      .addSelect(['t.requests AS requests', 't.bytes_in AS bytes_in', 't.bytes_out AS bytes_out'])
      .from('traffic_hours', 't')
      .where('t.account_id = :accountId', { accountId })
      .andWhere('t.hour >= :from AND t.hour < :to', { from, to });
    if (area) qb.andWhere('t.area = :area', { area });
    const rows = await qb.getRawMany<Record<string, string | number>>();
    return rows.map((r) => ({
      hour: Number(r.hour),
      accountId,
      sublogin: String(r.sublogin),
      area: String(r.area) as TrafficRow['area'],
      method: String(r.method),
      status: Number(r.status),
      requests: Number(r.requests),
      bytesIn: Number(r.bytes_in),
      bytesOut: Number(r.bytes_out),
    }));
  }

  async auth(accountId: string, from: number, to: number): Promise<AuthRow[]> {
    const rows = await this.ds
      .createQueryBuilder()
      .select(['a.hour AS hour', 'a.method AS method', 'a.outcome AS outcome', 'a.count AS count'])
      .from('auth_hours', 'a')
      .where('a.account_id = :accountId', { accountId })
      .andWhere('a.hour >= :from AND a.hour < :to', { from, to })
      .getRawMany<Record<string, string | number>>();
    return rows.map((r) => ({ hour: Number(r.hour), accountId, method: String(r.method), outcome: String(r.outcome), count: Number(r.count) }));
  }

  /** The rows of [from, to), with each application's current name (the application may be gone). */
  async apps(accountId: string, from: number, to: number): Promise<AppRow[]> {
    const rows = await this.ds
      .createQueryBuilder()
      .select(['h.hour AS hour', 'h.application_id AS application_id', 'app.name AS application_name'])
      .addSelect(['h.requests AS requests', 'h.bytes_in AS bytes_in', 'h.bytes_out AS bytes_out'])
      .from('app_hours', 'h')
      .leftJoin('applications', 'app', 'app.id = h.application_id')
      .where('h.account_id = :accountId', { accountId })
      .andWhere('h.hour >= :from AND h.hour < :to', { from, to })
      .getRawMany<Record<string, string | number | null>>();
    return rows.map((r) => ({
      hour: Number(r.hour),
      accountId,
      applicationId: String(r.application_id),
      applicationName: r.application_name == null ? null : String(r.application_name),
      requests: Number(r.requests),
      bytesIn: Number(r.bytes_in),
      bytesOut: Number(r.bytes_out),
    }));
  }

  private async upsertAdd(em: EntityManager, table: string, keys: string[], counters: string[], rows: unknown[][]): Promise<void> {
    const postgres = this.ds.options.type === 'postgres';
    const columns = [...keys, ...counters];
    for (let i = 0; i < rows.length; ) {
      const size = CHUNK_SIZES.find((c) => c <= rows.length - i)!;
      const chunk = rows.slice(i, i + size);
      i += size;
      let n = 0;
      const values = chunk.map(() => `(${columns.map(() => (postgres ? `$${++n}` : '?')).join(', ')})`).join(', ');
      const sql =
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ` +
        `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`;
      await em.query(sql, chunk.flat());
    }
  }
}
