import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { APP_CONFIG } from '../config/app-config.token.js';
import type { AppConfig } from '../config/config.js';
import { AreaStorage } from './area-storage.js';
import { removeStaleTempFiles } from './core/atomic-write.js';
import { StorageQuotaService } from './storage-quota.service.js';
import type { AreaUsage, StorageAreaName, UsageLedger } from './storage.types.js';
import { areaRootOf } from './usage.js';

export { measure } from './usage.js';

/**
 * Upload temp files older than this are crash leftovers. Far above any pause between two chunks
 * of a live upload (the server's own request timeouts end a stalled one long before), so the
 * sweep never removes an upload still in progress, even one of another instance.
 */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * File storage under STORAGE_DIR: `<STORAGE_DIR>/<account id>/<area>/`, each created on first
 * use. `area()` hands out an AreaStorage for one account's area; all path checks happen there,
 * and its writes are checked against the account's quota (StorageQuotaService).
 */
@Injectable()
export class StorageService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(StorageService.name);
  readonly root: string;
  readonly maxUploadBytes: number;
  private sweep: Promise<void> = Promise.resolve();
  /** Uploads under way (see onApplicationShutdown). */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly quota: StorageQuotaService,
  ) {
    this.root = path.resolve(config.storageDir);
    this.maxUploadBytes = config.maxUploadBytes;
  }

  async onApplicationBootstrap(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    // In the background: a large storage tree must not delay the start.
    this.sweep = removeStaleTempFiles(this.root, STALE_TEMP_MS).then(
      (removed) => {
        if (removed) this.logger.log({ removed }, 'removed upload leftovers');
      },
      (err: unknown) => this.logger.error({ err }, 'could not sweep upload leftovers'),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sweep;
  }

  /**
   * After the HTTP server has closed (every connection ended, the ones still uploading cut at the
   * end of the shutdown grace period): waits for the uploads those connections carried to settle,
   * so an aborted one has removed its temp file before the process exits (SIGTERM leaves no
   * partial file behind; only kill -9 does, and the start-up sweep removes that).
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.writes]);
  }

  area(accountId: string, area: StorageAreaName): AreaStorage {
    return new TrackedAreaStorage(areaRootOf(this.root, accountId, area), this.writes, this.quota.ledger(accountId));
  }

  /**
   * Bytes, files and folders stored per area (temp files not counted; links not followed),
   * walked now; the total becomes the account's usage figure (StorageQuotaService).
   */
  usage(accountId: string): Promise<Record<StorageAreaName, AreaUsage>> {
    return this.quota.measureAccount(accountId);
  }
}

/** An AreaStorage whose writes StorageService can wait for at shutdown. */
class TrackedAreaStorage extends AreaStorage {
  constructor(
    root: string,
    private readonly inFlight: Set<Promise<unknown>>,
    ledger: UsageLedger,
  ) {
    super(root, ledger);
  }

  override write(...args: Parameters<AreaStorage['write']>): ReturnType<AreaStorage['write']> {
    const writing = super.write(...args);
    this.inFlight.add(writing);
    const settled = () => this.inFlight.delete(writing);
    writing.then(settled, settled);
    return writing;
  }
}
