import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Dirent } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { APP_CONFIG } from '../config/app-config.token.js';
import type { AppConfig } from '../config/config.js';
import { AreaStorage } from './area-storage.js';
import { isTempName, removeStaleTempFiles } from './core/atomic-write.js';
import { type AreaUsage, STORAGE_AREAS, type StorageAreaName } from './storage.types.js';

/**
 * Upload temp files older than this are crash leftovers. Far above any pause between two chunks
 * of a live upload (the server's own request timeouts end a stalled one long before), so the
 * sweep never removes an upload still in progress, even one of another instance.
 */
const STALE_TEMP_MS = 60 * 60 * 1000;

// Account ids are UUIDs; anything else would be a bug, and must never become a path.
const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * File storage under STORAGE_DIR: `<STORAGE_DIR>/<account id>/<area>/`, each created on first
 * use. `area()` hands out an AreaStorage for one account's area; all path checks happen there.
 */
@Injectable()
export class StorageService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(StorageService.name);
  readonly root: string;
  readonly maxUploadBytes: number;
  private sweep: Promise<void> = Promise.resolve();
  /** Uploads under way (see onApplicationShutdown). */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
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
    return new TrackedAreaStorage(this.areaRoot(accountId, area), this.writes);
  }

  /** Bytes, files and folders stored per area (temp files not counted; links not followed). */
  async usage(accountId: string): Promise<Record<StorageAreaName, AreaUsage>> {
    const out = {} as Record<StorageAreaName, AreaUsage>;
    for (const area of STORAGE_AREAS) out[area] = await measure(this.areaRoot(accountId, area));
    return out;
  }

  private areaRoot(accountId: string, area: StorageAreaName): string {
    if (!ACCOUNT_ID.test(accountId)) throw new Error('invalid account id for storage');
    if (!STORAGE_AREAS.includes(area)) throw new Error('invalid storage area');
    return path.join(this.root, accountId, area);
  }
}

/** An AreaStorage whose writes StorageService can wait for at shutdown. */
class TrackedAreaStorage extends AreaStorage {
  constructor(
    root: string,
    private readonly inFlight: Set<Promise<unknown>>,
  ) {
    super(root);
  }

  override write(...args: Parameters<AreaStorage['write']>): ReturnType<AreaStorage['write']> {
    const writing = super.write(...args);
    this.inFlight.add(writing);
    const settled = () => this.inFlight.delete(writing);
    writing.then(settled, settled);
    return writing;
  }
}

/**
 * Walks an area. What cannot be opened is skipped, not an error: a folder deeper than PATH_MAX
 * (ENAMETOOLONG: left by older versions, or made on disk) or a link loop (ELOOP; links are not
 * followed, so only a folder swapped for one meanwhile) is counted as a folder, its contents not.
 * The report then shows what can be reached, which is also what the customer can address; only
 * errors that are ours to fix (EACCES, EIO) fail it.
 */
export async function measure(root: string): Promise<AreaUsage> {
  const usage: AreaUsage = { bytes: 0, files: 0, folders: 0 };
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let dirents: Dirent[];
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue; // no area yet, or removed meanwhile
      if (code === 'ENAMETOOLONG' || code === 'ELOOP') continue; // cannot be opened: see above
      throw err;
    }
    for (const d of dirents) {
      if (isTempName(d.name)) continue;
      const p = path.join(dir, d.name);
      if (d.isDirectory()) {
        usage.folders++;
        pending.push(p);
      } else if (d.isFile()) {
        try {
          usage.bytes += (await lstat(p)).size;
          usage.files++;
        } catch {
          // removed meanwhile
        }
      }
    }
  }
  return usage;
}
