import type { BigIntStats } from 'node:fs';
import { LRUCache } from 'lru-cache';
import type { StorageEntry } from '../storage.types.js';

/** One member of a folder as listings show it (NFC name, its name on disk), in name order. */
export interface FolderMember {
  readonly name: string;
  readonly diskName: string;
  /** A file's entry once read: it changes only when its folder's stamp does (see FolderSnapshots). */
  file?: StorageEntry;
}

export interface FolderSnapshot {
  /** The user path the members' entries carry (a folder reached through a link has another). */
  readonly canonical: string;
  readonly members: readonly FolderMember[];
}

/**
 * A change stamped within this long before the snapshot might share its timestamp with a later
 * change (timestamps come from a coarse clock: a jiffy on ext4, a second on ext3 or HFS+), so a
 * folder changed this recently is listed from disk and not remembered.
 */
export const RACY_MS = 2_000;
/**
 * A snapshot is read again from disk after this long anyway: a file changed in place on disk
 * by something other than the service (which only ever renames files into place) shows then.
 */
export const SNAPSHOT_TTL_MS = 10_000;
/** Bounds the memory: members held in all, and in one folder (a bigger folder is never kept). */
const MAX_MEMBERS = 50_000;
const MAX_FOLDER_MEMBERS = 5_000;

interface Held extends FolderSnapshot {
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/**
 * What each folder held when last listed, by its path on disk, kept while the folder is
 * unchanged: a listing then costs one stat of the folder instead of a readdir and an lstat per
 * member (~4 µs each here, most of a 50-entry listing; issue 18). Only file entries are kept:
 * a sub-folder's own time changes with its contents, not its parent's, so it is read again.
 *
 * Unchanged means the same inode, mtime and ctime. Every way the service changes a file's
 * listed metadata changes its folder's: uploads, copies, moves and deletes create, rename or
 * remove entries (mtime and ctime), and a modification time set on a file touches its folder's
 * ctime (AreaStorage.setModified). That holds across instances sharing the storage, with no
 * message between them. Timestamps are coarse, so a folder stamped within RACY_MS of the look
 * is not remembered, and nothing is kept longer than SNAPSHOT_TTL_MS.
 */
export class FolderSnapshots {
  private readonly held = new LRUCache<string, Held>({
    maxSize: MAX_MEMBERS,
    sizeCalculation: (s) => s.members.length + 1,
    ttl: SNAPSHOT_TTL_MS,
    // Wall-clock time, the clock folder timestamps come from (and tests move Date).
    ttlResolution: 0,
    perf: { now: () => Date.now() },
  });

  /** The snapshot of the folder at `abs` (stat `folder`, listed as `canonical`), if it is still the folder's. */
  get(abs: string, folder: BigIntStats, canonical: string): FolderSnapshot | undefined {
    const s = this.held.get(abs);
    if (s === undefined || s.canonical !== canonical) return undefined;
    if (s.ino === folder.ino && s.mtimeNs === folder.mtimeNs && s.ctimeNs === folder.ctimeNs) return s;
    this.held.delete(abs);
    return undefined;
  }

  /**
   * A snapshot read from disk after `folder` was stat'ed; kept unless the folder changed too
   * recently to tell a later change by its stamp. Returned either way, for the caller to use.
   */
  offer(abs: string, folder: BigIntStats, canonical: string, members: FolderMember[]): FolderSnapshot {
    const snapshot: Held = { canonical, members, ino: folder.ino, mtimeNs: folder.mtimeNs, ctimeNs: folder.ctimeNs };
    const stamped = Number(folder.ctimeNs > folder.mtimeNs ? folder.ctimeNs : folder.mtimeNs) / 1e6;
    const settled = Date.now() - stamped > RACY_MS;
    if (settled && members.length <= MAX_FOLDER_MEMBERS) this.held.set(abs, snapshot);
    return snapshot;
  }
}
