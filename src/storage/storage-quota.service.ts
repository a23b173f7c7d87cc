import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/app-config.token.js';
import type { AppConfig } from '../config/config.js';
import { AccountQuotaRow, StorageUsageRow } from './storage-quota.entities.js';
import { type AreaUsage, STORAGE_AREAS, type StorageAreaName, type UsageLedger } from './storage.types.js';
import { areaRootOf, measure, totalBytes } from './usage.js';

/**
 * A usage figure older than this is measured again (in the background, the old figure answering
 * meanwhile) at the account's next quota check: it corrects what the adjustments missed (a
 * process killed between a change and its adjustment, files changed on disk, changes made while
 * the figure was being measured).
 */
export const USAGE_REMEASURE_MS = 60 * 60 * 1000;

/** An account's own quota: none (the configured default applies), unlimited, or a number of bytes. */
export type QuotaSetting = { kind: 'default' } | { kind: 'unlimited' } | { kind: 'bytes'; bytes: number };

export interface QuotaStatus {
  setting: QuotaSetting;
  /** The limit that applies (the account's own or the default), bytes; null: unlimited. */
  limitBytes: number | null;
  /** Bytes stored in both areas, as last measured and adjusted since. */
  usedBytes: number;
  /** limit − used, never below 0; null when unlimited. */
  availableBytes: number | null;
}

interface LedgerRow {
  /** Set when the account has its own quota (row in account_quotas). */
  quotaAccount: string | null;
  quotaBytes: string | number | null;
  usedBytes: string | number | null;
  measuredAt: string | number | null;
}

const num = (v: string | number | null): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Storage quotas (RFC 4331 on WebDAV, 507 `quota_exceeded` everywhere): one limit per account
 * over its main and backup areas together, the account's own (operator API and pages) or
 * STORAGE_QUOTA_BYTES.
 *
 * Usage is not walked per request. It is kept per account in `storage_usage` (the database, so
 * every instance sees every other's changes at once): measured by walking the account's storage
 * the first time it is needed (a check under a quota, the quota properties, the storage report),
 * then adjusted by every write, copy, move and delete through the storage (AreaStorage reports
 * each change to its ledger), and measured again by every storage report and, at the next check,
 * once it is older than USAGE_REMEASURE_MS. There is no per-instance cache of it.
 *
 * A check reads the committed figure, so uploads running at the same time (on any instance) are
 * each admitted against it: together they can overshoot the limit by at most what they carry
 * beyond it, each capped at what was available when it started. Nothing else overshoots; a
 * figure that drifted (see USAGE_REMEASURE_MS) is right again after its next measurement.
 */
@Injectable()
export class StorageQuotaService {
  private readonly logger = new Logger(StorageQuotaService.name);
  private readonly root: string;
  readonly defaultQuotaBytes: number | null;
  /** Walks under way on this instance, per account: concurrent checks share one. */
  private readonly measuring = new Map<string, Promise<Record<StorageAreaName, AreaUsage>>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.root = path.resolve(config.storageDir);
    this.defaultQuotaBytes = config.storageQuotaBytes;
    // Fixed SQL, prepared once: every write reads the ledger and most report a change. (The change
    // was built with its byte count inlined, so every new size prepared a new statement.)
    const pg = dataSource.options.type === 'postgres';
    const $ = (i: number) => (pg ? `$${i}` : '?');
    const delta = pg ? `CAST(${$(1)} AS bigint)` : $(1);
    this.ledgerSql = {
      // Subqueries, not LEFT JOINs: SQLite prepared the joined form again on every run (its
      // profile is half sqlite3Reprepare; ~4× this form's cost, issue 18). Each table has at most
      // one row per account.
      read:
        'SELECT (SELECT q.account_id FROM account_quotas q WHERE q.account_id = a.id) AS "quotaAccount", ' +
        '(SELECT q.quota_bytes FROM account_quotas q WHERE q.account_id = a.id) AS "quotaBytes", ' +
        '(SELECT u.bytes FROM storage_usage u WHERE u.account_id = a.id) AS "usedBytes", ' +
        '(SELECT u.measured_at FROM storage_usage u WHERE u.account_id = a.id) AS "measuredAt" ' +
        `FROM accounts a WHERE a.id = ${$(1)}`,
      changed: `UPDATE storage_usage SET bytes = CASE WHEN bytes + ${delta} < 0 THEN 0 ELSE bytes + ${pg ? `CAST(${$(2)} AS bigint)` : $(2)} END WHERE account_id = ${$(3)}`,
    };
  }

  private readonly ledgerSql: { readonly read: string; readonly changed: string };

  // -------------------------------------------------------------------------------------------
  // Settings

  async setting(accountId: string): Promise<QuotaSetting> {
    const row = await this.dataSource.getRepository(AccountQuotaRow).findOneBy({ accountId });
    return settingOf(row);
  }

  /** The settings of several accounts (the operator's account list). */
  async settings(accountIds: readonly string[]): Promise<Map<string, QuotaSetting>> {
    const rows = accountIds.length === 0 ? [] : await this.dataSource.getRepository(AccountQuotaRow).createQueryBuilder('q').where('q.accountId IN (:...ids)', { ids: [...accountIds] }).getMany();
    const byId = new Map(rows.map((r) => [r.accountId, r]));
    return new Map(accountIds.map((id) => [id, settingOf(byId.get(id) ?? null)]));
  }

  /** Usage figures already kept for these accounts (none is measured for this). */
  async knownUsage(accountIds: readonly string[]): Promise<Map<string, number>> {
    if (accountIds.length === 0) return new Map();
    const rows = await this.dataSource.getRepository(StorageUsageRow).createQueryBuilder('u').where('u.accountId IN (:...ids)', { ids: [...accountIds] }).getMany();
    return new Map(rows.map((r) => [r.accountId, r.bytes]));
  }

  async setSetting(accountId: string, setting: QuotaSetting): Promise<void> {
    const repo = this.dataSource.getRepository(AccountQuotaRow);
    if (setting.kind === 'default') await repo.delete({ accountId });
    else await repo.upsert({ accountId, quotaBytes: setting.kind === 'unlimited' ? null : setting.bytes, updatedAt: Date.now() }, ['accountId']);
  }

  /** The limit a setting comes to: its own bytes, none, or the configured default. */
  limitOf(setting: QuotaSetting): number | null {
    return setting.kind === 'bytes' ? setting.bytes : setting.kind === 'unlimited' ? null : this.defaultQuotaBytes;
  }

  // -------------------------------------------------------------------------------------------
  // Usage

  /** Quota and usage of an account; measures its storage when no figure is kept yet. */
  async status(accountId: string): Promise<QuotaStatus> {
    const row = await this.read(accountId);
    const setting = row ? settingOfRaw(row) : { kind: 'default' as const };
    const limitBytes = this.limitOf(setting);
    let usedBytes = row ? num(row.usedBytes) : null;
    if (row === undefined || usedBytes === null) usedBytes = totalBytes(await this.measureOnce(accountId));
    else this.refreshIfStale(accountId, row);
    return { setting, limitBytes, usedBytes, availableBytes: limitBytes === null ? null : Math.max(0, limitBytes - usedBytes) };
  }

  /**
   * Walks the account's areas (bytes, files and folders of each, as the storage report shows
   * them) and keeps the total as its usage figure.
   */
  measureAccount(accountId: string): Promise<Record<StorageAreaName, AreaUsage>> {
    return this.measureOnce(accountId, true);
  }

  /** Bytes free on the filesystem of STORAGE_DIR for unprivileged writers; null if it cannot tell. */
  async diskFreeBytes(): Promise<number | null> {
    try {
      const fs = await statfs(this.root);
      return fs.bavail * fs.bsize;
    } catch {
      return null;
    }
  }

  /** What the storage of one account checks writes against and reports changes to. */
  ledger(accountId: string): UsageLedger {
    return {
      allowance: () => this.allowance(accountId),
      changed: (bytes) => this.changed(accountId, bytes),
    };
  }

  private async allowance(accountId: string): Promise<{ available: number; tracked: boolean }> {
    const row = await this.read(accountId);
    if (!row) return { available: Infinity, tracked: false }; // the account is gone
    const limit = this.limitOf(settingOfRaw(row));
    let used = num(row.usedBytes);
    if (limit === null) return { available: Infinity, tracked: used !== null };
    if (used === null) used = totalBytes(await this.measureOnce(accountId));
    else this.refreshIfStale(accountId, row);
    return { available: limit - used, tracked: true };
  }

  private async changed(accountId: string, bytes: number): Promise<void> {
    if (bytes === 0 || !Number.isSafeInteger(bytes)) return;
    try {
      await this.dataSource.query(this.ledgerSql.changed, [bytes, bytes, accountId]);
    } catch (err) {
      this.logger.error({ err, accountId, bytes }, 'could not adjust the storage usage; corrected at its next measurement');
    }
  }

  /**
   * The account's quota and usage rows; undefined when the account does not exist. One query,
   * from the account outwards, whether or not a usage figure or a quota is kept: every write
   * checks it (three queries when no figure was kept, as without a quota).
   */
  private async read(accountId: string): Promise<LedgerRow | undefined> {
    const [row] = (await this.dataSource.query(this.ledgerSql.read, [accountId])) as Array<Partial<LedgerRow>>;
    if (!row) return undefined;
    return { quotaAccount: row.quotaAccount ?? null, quotaBytes: row.quotaBytes ?? null, usedBytes: row.usedBytes ?? null, measuredAt: row.measuredAt ?? null };
  }

  private refreshIfStale(accountId: string, row: LedgerRow): void {
    const at = num(row.measuredAt);
    if (at !== null && Date.now() - at < USAGE_REMEASURE_MS) return;
    this.measureOnce(accountId).catch((err: unknown) => this.logger.error({ err, accountId }, 'could not measure the storage usage'));
  }

  /**
   * One walk per account at a time on this instance; `fresh` waits for one that starts now
   * (the storage report must not show a walk begun before the change it is asked after).
   */
  private measureOnce(accountId: string, fresh = false): Promise<Record<StorageAreaName, AreaUsage>> {
    const running = this.measuring.get(accountId);
    if (running && !fresh) return running;
    const walk = (async () => {
      // After the walk under way, so that this one's figure is the one kept.
      if (running) await running.catch(() => undefined);
      const startedAt = Date.now();
      const usage = {} as Record<StorageAreaName, AreaUsage>;
      for (const area of STORAGE_AREAS) usage[area] = await measure(areaRootOf(this.root, accountId, area));
      await this.record(accountId, totalBytes(usage), startedAt);
      return usage;
    })();
    this.measuring.set(accountId, walk);
    const done = () => {
      if (this.measuring.get(accountId) === walk) this.measuring.delete(accountId);
    };
    walk.then(done, done);
    return walk;
  }

  private async record(accountId: string, bytes: number, measuredAt: number): Promise<void> {
    try {
      await this.dataSource.getRepository(StorageUsageRow).upsert({ accountId, bytes, measuredAt }, ['accountId']);
    } catch (err) {
      // The account was deleted meanwhile (foreign key), or the database is away: the figure
      // still answers this check, and the next one measures again.
      this.logger.warn({ err, accountId }, 'could not keep the storage usage');
    }
  }
}

function settingOf(row: AccountQuotaRow | null): QuotaSetting {
  if (!row) return { kind: 'default' };
  return row.quotaBytes === null ? { kind: 'unlimited' } : { kind: 'bytes', bytes: row.quotaBytes };
}

function settingOfRaw(row: LedgerRow): QuotaSetting {
  if (row.quotaAccount === null) return { kind: 'default' };
  const bytes = num(row.quotaBytes);
  return bytes === null ? { kind: 'unlimited' } : { kind: 'bytes', bytes };
}
