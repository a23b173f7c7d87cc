import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isTempName } from './core/atomic-write.js';
import { type AreaUsage, STORAGE_AREAS, type StorageAreaName } from './storage.types.js';

// Account ids are UUIDs; anything else would be a bug, and must never become a path.
const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** `<root>/<account id>/<area>`: where one account's area lives under STORAGE_DIR. */
export function areaRootOf(root: string, accountId: string, area: StorageAreaName): string {
  if (!ACCOUNT_ID.test(accountId)) throw new Error('invalid account id for storage');
  if (!STORAGE_AREAS.includes(area)) throw new Error('invalid storage area');
  return path.join(root, accountId, area);
}

/**
 * Walks an area (or any folder in it). What cannot be opened is skipped, not an error: a folder
 * deeper than PATH_MAX (ENAMETOOLONG: left by older versions, or made on disk) or a link loop
 * (ELOOP; links are not followed, so only a folder swapped for one meanwhile) is counted as a
 * folder, its contents not. The report then shows what can be reached, which is also what the
 * customer can address; only errors that are ours to fix (EACCES, EIO) fail it. Temp files
 * (uploads in flight) are not counted.
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

/** The bytes of all areas together. */
export function totalBytes(usage: Readonly<Record<StorageAreaName, AreaUsage>>): number {
  return STORAGE_AREAS.reduce((sum, area) => sum + usage[area].bytes, 0);
}
