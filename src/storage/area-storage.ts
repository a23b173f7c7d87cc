import { close, closeSync, constants, createReadStream, fchmodSync, fstat, fstatSync, futimes, open as openFd, openSync, read, readSync, type BigIntStats, type Dirent, lstatSync, statSync } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { LRUCache } from 'lru-cache';
import { DomainError } from '../errors/domain-error.js';
import { isTempName, StorageLimitError, writeFileAtomic } from './core/atomic-write.js';
import { type FolderMember, FolderSnapshots } from './core/folder-snapshots.js';
import { assertTreeFits, MAX_ABS_PATH_BYTES, MAX_SEGMENT_BYTES, normalizeUserPath, resolveInArea, toNfc, userNamesOf } from './core/storage-path.js';
import { toStorageError } from './storage-errors.js';
import type {
  ByteRange,
  CopyOptions,
  ListOptions,
  ListResult,
  MemberAccess,
  ReadHandle,
  StorageEntry,
  TransferAccess,
  TransferOptions,
  TransferResult,
  UsageLedger,
  WriteOptions,
  WriteResult,
} from './storage.types.js';
import { measure } from './usage.js';

/** Default cap on the entries one listing examines (a recursive listing of a huge tree). */
export const DEFAULT_LIST_LIMIT = 10_000;
/** Synchronous lstats a listing makes between two yields to the event loop. */
const LIST_BATCH = 64;

// O_NOFOLLOW: the resolved path has no link left in it, so a link found there now was planted
// after the check. O_NONBLOCK: opening a FIFO someone planted must not hang a worker thread
// (it changes nothing for regular files).
const READ_FLAGS = process.platform === 'win32' ? constants.O_RDONLY : constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * realpath of each area root, made if missing, remembered for a few seconds: without it every
 * request paid a mkdir and a realpath of its area, two thread-pool round trips that cost more
 * than the request's own stat. Remembering it is safe: a root swapped for a link on disk
 * afterwards makes resolved paths fall outside the remembered one (path_escape), never inside
 * another; a root removed on disk is made again once its entry expires.
 */
const areaRoots = new LRUCache<string, string>({
  max: 10_000,
  ttl: 10_000,
  // Wall-clock time read on each look-up, as before (tests move Date): a hit costs nanoseconds, a miss disk calls.
  ttlResolution: 0,
  perf: { now: () => Date.now() },
});

async function realAreaRoot(root: string): Promise<string> {
  const known = areaRoots.get(root);
  if (known !== undefined) return known;
  await mkdir(root, { recursive: true }); // areas are created on first use
  const real = await realpath(root);
  areaRoots.set(root, real);
  return real;
}

/**
 * Downloads read the file in chunks this large: fs.ReadStream's 64 KiB made large GETs far slower
 * than Apache (bench/README.md). A download holds two or three chunks.
 */
const READ_CHUNK_BYTES = 1024 * 1024;

const openFdAsync = promisify(openFd);
const fstatAsync = promisify(fstat) as (fd: number, opts: { bigint: true }) => Promise<BigIntStats>;
const closeAsync = promisify(close);
const futimesAsync = promisify(futimes);

interface Resolved {
  canonical: string;
  abs: string;
}

/**
 * One account's storage area (a folder under STORAGE_DIR), addressed by user paths. Every path
 * goes through the storage core (normalizeUserPath + resolveInArea) before it touches the disk,
 * so nothing here can reach outside the area; errors come out as DomainErrors with contract
 * codes. Transport-neutral: the file API and WebDAV both use it.
 *
 * Only regular files and folders exist for users. Symlinks, FIFOs and the like (only someone
 * with direct disk access can make them) are left out of listings, and links pointing outside
 * the area are refused by path resolution.
 */
export class AreaStorage {
  /**
   * `ledger`: the account's quota (StorageService passes StorageQuotaService's). Writes and copies
   * beyond it are refused (507 `quota_exceeded`, nothing stored); every change is reported to it.
   */
  constructor(
    readonly root: string,
    private readonly ledger?: UsageLedger,
  ) {}

  async stat(userPath: string): Promise<StorageEntry> {
    const { canonical, abs } = await this.resolve(userPath);
    return this.entryAt(canonical, abs);
  }

  /** The entry, or null when nothing is there. */
  async tryStat(userPath: string): Promise<StorageEntry | null> {
    try {
      return await this.stat(userPath);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'not_found') return null;
      throw err;
    }
  }

  /**
   * The folder's members (FolderSnapshots: one readdir, then one lstat per member, kept while
   * the folder is unchanged); temp files, unaddressable names and members `access` refuses are
   * never shown (a recursive listing still descends into a refused folder when a member beneath
   * it may be allowed).
   */
  async list(userPath: string, access: MemberAccess, opts: ListOptions = {}): Promise<ListResult> {
    const { canonical, abs } = await this.resolve(userPath);
    // Decided per member only where a rule beneath the folder could decide a member otherwise.
    const everyMember = access.uniformBeneath(canonical);
    const folderStat = statAt(abs);
    if (!folderStat.isDirectory()) throw new DomainError('conflict', 'the path is a file, not a folder');
    const limit = opts.limit ?? DEFAULT_LIST_LIMIT;
    const entries: StorageEntry[] = [];
    let examined = 0;
    let truncated = false;
    // Synchronous lstats, as in `children`: a thread-pool round trip per entry cost a 50-entry
    // listing ~1.5 ms of CPU (issue 18); the loop yields every LIST_BATCH of them.
    let sinceYield = 0;

    const walk = async (dirAbs: string, dirPath: string, dirStat?: BigIntStats): Promise<void> => {
      let members: readonly FolderMember[];
      try {
        members = await membersOf(dirAbs, dirPath, dirStat);
      } catch (err) {
        if (dirAbs !== abs && isGone(err)) return; // removed while we walked
        throw toStorageError(err);
      }
      for (const member of members) {
        if (examined >= limit) {
          truncated = true;
          return;
        }
        if (++sinceYield >= LIST_BATCH) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const entry = readMember(member, dirAbs, dirPath);
        if (entry === null) continue;
        examined++;
        const visible = everyMember || access.allows(entry.path);
        if (visible && (!opts.filter || opts.filter(entry))) entries.push(entry);
        if (opts.recursive && entry.type === 'directory' && (visible || !access.uniformBeneath(entry.path))) {
          await walk(path.join(dirAbs, member.diskName), entry.path);
          if (truncated) return;
        }
      }
    };
    await walk(abs, canonical, folderStat);
    return { folder: entryOf(canonical, folderStat), entries, truncated };
  }

  /**
   * A folder and its direct children for streaming consumers (WebDAV PROPFIND Depth 1, folder
   * listings): the folder's members (as `list` reads them), each child read as the consumer
   * pulls, yielded in name order, so a folder of any size is never held as entries in memory and
   * no limit truncates it. Children removed meanwhile are skipped; what `list` hides is hidden
   * too, members `access` refuses included. A file is `409 conflict`, a missing path `404`.
   *
   * The lstats are synchronous, `batch` at a time between yields to the event loop: for the
   * cached metadata of a directory being listed, a thread-pool round trip per entry costs
   * several times the syscall itself, while one batch blocks the loop for well under a millisecond.
   */
  async children(userPath: string, access: MemberAccess, opts: { batch?: number } = {}): Promise<{ folder: StorageEntry; children: AsyncIterable<StorageEntry> }> {
    const { canonical, abs } = await this.resolve(userPath);
    const everyMember = access.uniformBeneath(canonical);
    const folderStat = statAt(abs);
    if (!folderStat.isDirectory()) throw new DomainError('conflict', 'the path is a file, not a folder');
    let members: readonly FolderMember[];
    try {
      members = await membersOf(abs, canonical, folderStat);
    } catch (err) {
      throw toStorageError(err);
    }
    const shown = everyMember ? members : members.filter((m) => access.allows(joinUserPath(canonical, m.name)));
    const batch = Math.max(1, opts.batch ?? 64);
    async function* walk(): AsyncGenerator<StorageEntry> {
      for (let start = 0; start < shown.length; start += batch) {
        const entries: StorageEntry[] = [];
        for (let i = start; i < start + batch && i < shown.length; i++) {
          const entry = readMember(shown[i]!, abs, canonical);
          if (entry !== null) entries.push(entry);
        }
        yield* entries;
        // Let other requests run between batches, however fast the consumer pulls.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return { folder: entryOf(canonical, folderStat), children: walk() };
  }

  /**
   * Opens a file for reading; a folder is `409 conflict`, anything else missing `404`. The open and
   * its fstat are synchronous (cached metadata, a few µs; see resolveInArea), and so is the read
   * of a small file's content (`read`, see readWhole); a stream reads on the thread pool.
   */
  async openRead(userPath: string): Promise<ReadHandle> {
    const { canonical, abs } = await this.resolve(userPath);
    // A plain descriptor, not a FileHandle: fs.ReadStream reads a FileHandle through promises,
    // which slows large GETs (bench/README.md).
    let fd: number;
    try {
      fd = openSync(abs, READ_FLAGS);
    } catch (err) {
      throw toStorageError(err);
    }
    let taken = false;
    try {
      const st = fstatSync(fd, { bigint: true });
      if (st.isDirectory()) throw new DomainError('conflict', 'the path is a folder, not a file');
      if (!st.isFile()) throw new DomainError('not_found', 'no such file or folder');
      return {
        entry: entryOf(canonical, st),
        stream(range?: ByteRange) {
          if (taken) throw new Error('ReadHandle content taken twice');
          taken = true;
          // The stream closes the file when it ends or is destroyed (client gone).
          return new FileReadStream(fd, range?.start ?? 0, range?.end ?? Number(st.size) - 1);
        },
        async read(range?: ByteRange) {
          if (taken) throw new Error('ReadHandle content taken twice');
          taken = true;
          try {
            return readWhole(fd, range?.start ?? 0, range?.end ?? Number(st.size) - 1);
          } finally {
            closeSync(fd);
          }
        },
        async close() {
          if (taken) return;
          taken = true;
          closeSync(fd);
        },
      };
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /**
   * Streams `source` into the file at `userPath`, atomically (readers see the old file or the
   * new one, never a part). On failure nothing is left behind, parent folders it created
   * included; the source is released as writeFileAtomic describes.
   */
  async write(userPath: string, source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, opts: WriteOptions = {}): Promise<WriteResult> {
    const { canonical, abs } = await this.resolve(userPath);
    if (canonical === '/') throw new DomainError('conflict', 'the area root is a folder');
    const existing = lstatOrNull(abs);
    if (existing?.isDirectory()) throw new DomainError('conflict', 'the target is a folder');
    if (existing && opts.overwrite === false) throw new DomainError('conflict', 'the target already exists');
    // The new content may take what is available plus what the file it replaces frees: refused
    // up front when the announced size does not fit, cut off at that room when it streams past.
    const quota = await this.quotaRoom(existing);
    if (opts.expectedBytes !== undefined && opts.expectedBytes > quota.room) throw quotaExceeded(`this file may take at most ${quota.room} bytes`);
    const maxBytes = Math.min(opts.maxBytes ?? Infinity, quota.room);
    // A file being replaced has its folder.
    const created = existing ? undefined : await this.ensureParent(abs, opts.createParents ?? false);
    let result;
    try {
      result = await writeFileAtomic(abs, source, { maxBytes, signal: opts.signal, sha256: opts.sha256, digests: opts.digests, mtime: opts.mtime, verify: opts.verify, expectedBytes: opts.expectedBytes });
    } catch (err) {
      await removeCreatedDirs(created, path.dirname(abs));
      if (err instanceof StorageLimitError && err.limit === quota.room && quota.room < (opts.maxBytes ?? Infinity)) {
        throw quotaExceeded(`this file may take at most ${quota.room} bytes`);
      }
      throw toStorageError(err, 'conflict');
    }
    if (quota.tracked) await this.ledger!.changed(result.bytes - quota.freed);
    return {
      entry: await this.entryAt(canonical, abs),
      created: !existing,
      bytes: result.bytes,
      ...(result.sha256 === undefined ? {} : { sha256: result.sha256 }),
      ...(result.digests === undefined ? {} : { digests: result.digests }),
    };
  }

  /**
   * Sets the modification time of a file or folder (WebDAV clients keeping their own times).
   * Through one open descriptor, so `before` and `after` describe the same file whatever is
   * renamed over the path meanwhile: a caller can carry what it knows of `before` to `after`.
   */
  async setModified(userPath: string, mtime: Date): Promise<{ before: StorageEntry; after: StorageEntry }> {
    const { canonical, abs } = await this.resolve(userPath);
    const fd = await openFdAsync(abs, READ_FLAGS).catch((err: unknown) => {
      throw toStorageError(err);
    });
    try {
      const before = await fstatAsync(fd, { bigint: true });
      if (!before.isFile() && !before.isDirectory()) throw new DomainError('not_found', 'no such file or folder');
      await futimesAsync(fd, new Date(), mtime);
      // The folder's snapshot holds the old time: a new ctime makes every instance read it again.
      if (canonical !== '/') touchFolderStamp(path.dirname(abs));
      return { before: entryOf(canonical, before), after: entryOf(canonical, await fstatAsync(fd, { bigint: true })) };
    } catch (err) {
      throw toStorageError(err);
    } finally {
      await closeAsync(fd);
    }
  }

  async mkdir(userPath: string, opts: { parents?: boolean } = {}): Promise<StorageEntry> {
    const { canonical, abs } = await this.resolve(userPath);
    if (canonical === '/' || lstatOrNull(abs)) throw new DomainError('conflict', 'the target already exists');
    try {
      if (opts.parents) await mkdir(abs, { recursive: true });
      else await mkdir(abs);
    } catch (err) {
      throw toStorageError(err, 'conflict');
    }
    return this.entryAt(canonical, abs);
  }

  /**
   * Renames a file or folder (atomic for a file replacing a file). `access.source` must allow
   * every member of the source tree and `access.target` every member of the target tree (the
   * one it replaces included), or nothing is done.
   */
  async move(fromPath: string, toPath: string, access: TransferAccess, opts: TransferOptions = {}): Promise<TransferResult> {
    const { src, dst, srcStat, dstStat } = await this.prepareTransfer(fromPath, toPath, access, opts, 'moved');
    // Within one area a move stores nothing new; only the target it replaces is freed.
    const freed = dstStat && (await this.tracked()) ? await bytesOf(dst.abs, dstStat) : 0;
    const created = await this.ensureParent(dst.abs, opts.createParents ?? false);
    try {
      // rename() replaces a file atomically; a folder target, or a type change, is removed first.
      if (dstStat && !(srcStat.isFile() && dstStat.isFile())) await removeTree(dst.abs, await realAreaRoot(this.root));
      await rename(src.abs, dst.abs);
    } catch (err) {
      await removeCreatedDirs(created, path.dirname(dst.abs));
      throw toStorageError(err, 'conflict');
    }
    if (freed > 0) await this.ledger!.changed(-freed);
    return { entry: await this.entryAt(dst.canonical, dst.abs), replaced: !!dstStat };
  }

  /**
   * Copies a file (atomically, as an upload) or a folder tree (each file atomically; on failure
   * the partial copy is removed). Links and special files inside a folder are not copied.
   * `access.source` must allow every member read (the folder alone when shallow) and
   * `access.target` every member of the target tree (the one it replaces included), or nothing
   * is done.
   */
  async copy(fromPath: string, toPath: string, access: TransferAccess, opts: CopyOptions = {}): Promise<TransferResult> {
    const { src, dst, srcStat, dstStat } = await this.prepareTransfer(fromPath, toPath, access, opts, 'copied');
    // The quota, before anything is done: the copy adds the source's bytes and frees the target's.
    const allowance = this.ledger ? await this.ledger.allowance() : undefined;
    let added = 0;
    if (allowance?.tracked) {
      added = (srcStat.isFile() ? Number(srcStat.size) : opts.shallow ? 0 : (await measure(src.abs)).bytes) - (await bytesOf(dst.abs, dstStat));
      if (added > 0 && added > allowance.available) {
        throw quotaExceeded(`the copy needs ${added} more bytes, ${Math.max(0, allowance.available)} are available`);
      }
    }
    const created = await this.ensureParent(dst.abs, opts.createParents ?? false);
    try {
      if (dstStat && !(srcStat.isFile() && dstStat.isFile())) await removeTree(dst.abs, await realAreaRoot(this.root));
      if (srcStat.isFile()) {
        await writeFileAtomic(dst.abs, createReadStream(src.abs), { expectedBytes: Number(srcStat.size) });
      } else {
        try {
          await copyTree(src.abs, dst.abs, !opts.shallow);
        } catch (err) {
          await rm(dst.abs, { recursive: true, force: true }).catch(() => undefined);
          throw err;
        }
      }
    } catch (err) {
      await removeCreatedDirs(created, path.dirname(dst.abs));
      throw toStorageError(err, 'conflict');
    }
    if (added !== 0) await this.ledger!.changed(added);
    return { entry: await this.entryAt(dst.canonical, dst.abs), replaced: !!dstStat };
  }

  /**
   * Deletes a file or a whole folder, if `access` allows every member of it. The area root
   * itself is refused (`400 path_invalid`).
   */
  async delete(userPath: string, access: MemberAccess): Promise<void> {
    const { canonical, abs } = await this.resolve(userPath);
    if (canonical === '/') throw new DomainError('path_invalid', 'the area root cannot be deleted');
    access.requireTree(canonical);
    let freed = 0;
    try {
      const st = lstatSync(abs, { bigint: true });
      if (await this.tracked()) freed = await bytesOf(abs, st);
      await removeTree(abs, await realAreaRoot(this.root)); // fs.rm fails on a tree deeper than PATH_MAX
    } catch (err) {
      throw toStorageError(err);
    }
    if (freed > 0) await this.ledger!.changed(-freed);
  }

  /**
   * The room the account's quota leaves for content replacing `existing` (whose bytes it frees):
   * Infinity without a quota. `tracked`: the change must be reported to the ledger.
   */
  private async quotaRoom(existing: BigIntStats | null): Promise<{ room: number; freed: number; tracked: boolean }> {
    if (!this.ledger) return { room: Infinity, freed: 0, tracked: false };
    const { available, tracked } = await this.ledger.allowance();
    const freed = existing?.isFile() ? Number(existing.size) : 0;
    return { room: Math.max(0, available + freed), freed, tracked };
  }

  /** Whether changes must be measured for the ledger (a quota applies, or a usage figure is kept). */
  private async tracked(): Promise<boolean> {
    return this.ledger ? (await this.ledger.allowance()).tracked : false;
  }

  /** Checks shared by move and copy, access first: nothing about a refused tree is looked at. */
  private async prepareTransfer(fromPath: string, toPath: string, access: TransferAccess, opts: CopyOptions, verb: string) {
    const src = await this.resolve(fromPath);
    const dst = await this.resolve(toPath);
    if (opts.shallow) access.source.require(src.canonical);
    else access.source.requireTree(src.canonical);
    access.target.requireTree(dst.canonical);
    if (src.canonical === '/') throw new DomainError('path_invalid', `the area root cannot be ${verb}`);
    if (dst.canonical === '/') throw new DomainError('conflict', 'the target already exists');
    // Compared after resolution, so a link inside the area cannot disguise either case.
    if (src.abs === dst.abs) throw new DomainError('conflict', 'source and target are the same');
    if (isInside(src.abs, dst.abs)) throw new DomainError('conflict', `a folder cannot be ${verb} into itself`);
    // Overwriting an ancestor would first delete the source itself.
    if (isInside(dst.abs, src.abs)) throw new DomainError('conflict', `a file or folder cannot be ${verb} onto a folder that contains it`);
    const srcStat = lstatOrNull(src.abs);
    if (!srcStat || (!srcStat.isFile() && !srcStat.isDirectory())) throw new DomainError('not_found', 'no such file or folder');
    const dstStat = lstatOrNull(dst.abs);
    if (dstStat && !opts.overwrite) throw new DomainError('conflict', 'the target already exists');
    // Before anything is done: the target and every member re-rooted there must fit the path
    // limits (400 path_too_long), or a tree too deep to open, report or delete would be made.
    try {
      await assertTreeFits(src, dst, srcStat.isDirectory() && !opts.shallow);
    } catch (err) {
      throw toStorageError(err);
    }
    return { src, dst, srcStat, dstStat };
  }

  /**
   * Makes sure the parent folder of `abs` exists. Returns the first folder it had to create
   * (so a failed write can remove what it made), or undefined.
   */
  private async ensureParent(abs: string, createParents: boolean): Promise<string | undefined> {
    const parent = path.dirname(abs);
    try {
      if (createParents) return await mkdir(parent, { recursive: true });
      if (!statSync(parent).isDirectory()) throw new DomainError('conflict', 'the parent folder does not exist');
      return undefined;
    } catch (err) {
      // ENOENT, or ENOTDIR/EEXIST when a file stands where a folder is needed.
      throw toStorageError(err, 'conflict');
    }
  }

  private async resolve(userPath: string): Promise<Resolved> {
    try {
      const canonical = normalizeUserPath(userPath);
      return { canonical, abs: await resolveInArea(this.root, canonical, await realAreaRoot(this.root)) };
    } catch (err) {
      throw toStorageError(err);
    }
  }

  /** Synchronous, as resolveInArea's look-ups (a few µs for cached metadata). */
  private async entryAt(canonical: string, abs: string): Promise<StorageEntry> {
    return entryOf(canonical, statAt(abs));
  }
}

/** A file or folder's stat (following a link, as resolveInArea left it); anything else is `404`. */
function statAt(abs: string): BigIntStats {
  let st: BigIntStats;
  try {
    st = statSync(abs, { bigint: true });
  } catch (err) {
    throw toStorageError(err);
  }
  if (!st.isFile() && !st.isDirectory()) throw new DomainError('not_found', 'no such file or folder');
  return st;
}

const snapshots = new FolderSnapshots();
const FOLDER_FLAGS = process.platform === 'win32' ? constants.O_RDONLY : constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Gives the folder a new ctime and changes nothing else (a chmod to its own mode): see
 * FolderSnapshots. Where the service may not (a folder it does not own), its snapshots show the
 * change once they expire.
 */
function touchFolderStamp(abs: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(abs, FOLDER_FLAGS);
    fchmodSync(fd, Number(fstatSync(fd).mode) & 0o7777);
  } catch {
    // EPERM and the like: nothing to undo.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The members of the folder at `abs` that listings show, in name order: from its snapshot while
 * the folder is unchanged, else read from disk. `folder`: its stat, when the caller just took it.
 * Disk errors come out as they are.
 */
async function membersOf(abs: string, canonical: string, folder = lstatSync(abs, { bigint: true })): Promise<readonly FolderMember[]> {
  const known = snapshots.get(abs, folder, canonical);
  if (known !== undefined) return known.members;
  const dirents = await readdir(abs, { withFileTypes: true });
  // Listed by the names requests use (NFC), whatever form the disk holds them in.
  const members = userNamesOf(dirents.filter((d) => isAddressable(d.name)))
    .filter(({ entry: d }) => d.isFile() || d.isDirectory())
    .sort((a, b) => compareNames(a.name, b.name))
    .map(({ name, entry: d }): FolderMember => ({ name, diskName: d.name }));
  return snapshots.offer(abs, folder, canonical, members).members;
}

/**
 * A member's entry: a file's remembered one, else from an lstat (a file's then remembered); null
 * when it is gone or is neither a file nor a folder any more.
 */
function readMember(member: FolderMember, dirAbs: string, dirPath: string): StorageEntry | null {
  if (member.file !== undefined) return member.file;
  let st: BigIntStats;
  try {
    st = lstatSync(path.join(dirAbs, member.diskName), { bigint: true });
  } catch (err) {
    if (isGone(err)) return null; // removed since the readdir
    throw toStorageError(err);
  }
  if (!st.isFile() && !st.isDirectory()) return null;
  const entry = entryOf(joinUserPath(dirPath, member.name), st);
  if (st.isFile()) member.file = entry;
  return entry;
}

/**
 * Bytes `start`..`end` (inclusive) in one buffer of exactly that size: for a small file (the
 * callers read at most SMALL_FILE_BYTES so), one synchronous read instead of a stream and its
 * 1 MiB chunk buffer. Synchronous like the open and fstat before it: a thread-pool round trip
 * (wake a worker, switch to it and back) cost more than the read of cached pages itself
 * (profile dav-get-4k, bench/README.md); the price is that a read from a cold cache blocks the
 * event loop for the disk's latency. Shorter if the file shrank.
 */
function readWhole(fd: number, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(Math.max(0, end - start + 1));
  let filled = 0;
  while (filled < buffer.length) {
    const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, start + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled < buffer.length ? buffer.subarray(0, filled) : buffer;
}

/**
 * A file's bytes, `start` to `end` inclusive, in READ_CHUNK_BYTES chunks. Piped into one
 * destination (an HTTP response), it reads into a buffer again once the chunk it held has left
 * the process. Chunks leave in the order they were handed out, so the newest ones that add up to
 * what is still queued here (`readableLength`) and there (`writableLength`, headers included)
 * are in use, and the older ones are free: a fresh buffer per chunk would keep the garbage
 * collector, which marks the whole heap, busy for every download. Read any other way, the stream
 * allocates.
 */
export class FileReadStream extends Readable {
  private position: number;
  /** undefined: not piped yet; null: piped more than once, so never reuse. */
  private sink: { readonly writableLength: number } | null | undefined;
  private readonly spare: Buffer[] = [];
  /** Chunks handed out and maybe still in use, oldest first. */
  private lent: Buffer[] = [];
  /** Set while a read is under way: closing the descriptor waits for it (it could be reused). */
  private afterRead: (() => void) | undefined;
  private reading = false;

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: READ_CHUNK_BYTES });
    this.position = start;
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // With two destinations, one may still hold a chunk the other has written out.
    this.sink = this.sink === undefined ? (destination as unknown as { writableLength: number }) : null;
    return super.pipe(destination, options);
  }

  override _read(): void {
    const want = Math.min(READ_CHUNK_BYTES, this.end - this.position + 1);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buffer = this.takeBuffer();
    this.reading = true;
    read(this.fd, buffer, 0, want, this.position, (err, bytesRead) => {
      this.reading = false;
      if (this.afterRead) {
        this.afterRead();
        return;
      }
      if (err) {
        this.destroy(err);
        return;
      }
      if (bytesRead === 0) {
        this.push(null); // the file is shorter than it was (changed on disk)
        return;
      }
      this.position += bytesRead;
      const chunk = buffer.subarray(0, bytesRead);
      this.lent.push(chunk);
      this.push(chunk);
    });
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const closeFd = () => close(this.fd, (closeErr) => callback(err ?? closeErr));
    if (this.reading) this.afterRead = closeFd;
    else closeFd();
  }

  private takeBuffer(): Buffer {
    if (this.sink) {
      let inUse = this.readableLength + this.sink.writableLength;
      let firstInUse = this.lent.length;
      while (firstInUse > 0 && inUse > 0) inUse -= this.lent[--firstInUse]!.length;
      for (const chunk of this.lent.slice(0, firstInUse)) this.spare.push(Buffer.from(chunk.buffer, chunk.byteOffset, READ_CHUNK_BYTES));
      this.lent = this.lent.slice(firstInUse);
    } else {
      this.lent = []; // never reused: let the garbage collector have them
    }
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
  }
}

export function entryOf(userPath: string, st: BigIntStats): StorageEntry {
  const isFile = st.isFile();
  const size = isFile ? Number(st.size) : 0;
  return {
    name: userPath === '/' ? '' : userPath.slice(userPath.lastIndexOf('/') + 1),
    path: userPath,
    type: isFile ? 'file' : 'directory',
    size,
    modified: new Date(Number(st.mtimeMs)),
    etag: `"${st.ino.toString(36)}-${st.size.toString(36)}-${st.mtimeNs.toString(36)}"`,
  };
}

function joinUserPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Code-unit order: stable, locale-independent, the same on every instance. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A name a user could send back: listing what cannot be addressed would only produce errors.
 * A name stored in another Unicode form than NFC is addressed by its NFC form (resolveInArea).
 */
function isAddressable(name: string): boolean {
  if (isTempName(name)) return false;
  try {
    return normalizeUserPath(`/${name}`) === `/${toNfc(name)}`;
  } catch {
    return false;
  }
}

async function copyTree(srcAbs: string, dstAbs: string, deep: boolean): Promise<void> {
  await mkdir(dstAbs);
  if (!deep) return;
  // What a listing shows is copied, under the name shown (NFC).
  for (const { name, entry: d } of userNamesOf((await readdir(srcAbs, { withFileTypes: true })).filter((e) => isAddressable(e.name)))) {
    const from = path.join(srcAbs, d.name);
    const to = path.join(dstAbs, name);
    if (d.isDirectory()) await copyTree(from, to, true);
    else if (d.isFile()) await writeFileAtomic(to, createReadStream(from));
  }
}

/** Removes the folders `mkdir -p` created, deepest first, as long as they are still empty. */
async function removeCreatedDirs(first: string | undefined, deepest: string): Promise<void> {
  if (!first) return;
  for (let dir = deepest; dir.length >= first.length; dir = path.dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
    if (dir === first) return;
  }
}

/** Bytes in the file or tree at `abs` (as StorageService's report counts them); 0 for nothing. */
async function bytesOf(abs: string, st: BigIntStats | null): Promise<number> {
  if (!st) return 0;
  if (st.isFile()) return Number(st.size);
  return st.isDirectory() ? (await measure(abs)).bytes : 0;
}

function quotaExceeded(detail: string): DomainError {
  return new DomainError('quota_exceeded', `not enough room in the account's storage quota (main and backup together): ${detail}`);
}

function lstatOrNull(abs: string): BigIntStats | null {
  try {
    return lstatSync(abs, { bigint: true });
  } catch (err) {
    if (isGone(err)) return null;
    throw toStorageError(err);
  }
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !path.isAbsolute(rel) && rel !== '..' && !rel.startsWith('..' + path.sep);
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The deepest folder whose entries can all be named by absolute path: PATH_MAX less the NUL,
 * a '/' and the longest name.
 */
const NAMEABLE_DIR_BYTES = MAX_ABS_PATH_BYTES - 1 - (1 + MAX_SEGMENT_BYTES);
const DELETE_PREFIX = '.portcullis-delete-';

/**
 * `rm -r` for a tree of any depth, `scratchDir` being the area's root (real path). fs.rm names
 * every member by absolute path, so on a member deeper than PATH_MAX it fails (ENAMETOOLONG)
 * halfway, and Node offers no unlinkat to work relative to an open folder. This removes the tree
 * deepest-first itself and, instead of descending into a folder too deep to name its entries,
 * renames that folder (one cheap rename, whatever it holds) to a reserved name in `scratchDir`
 * and removes it from there once the rest is gone; inside it, the same again. So every call
 * takes a path well under PATH_MAX, and the tree as the user sees it is gone first. Links are
 * removed, never followed (a link loop is one unlink). Reserved names are hidden from listings
 * and reports, so what an interruption leaves behind is never shown.
 */
export async function removeTree(abs: string, scratchDir: string): Promise<void> {
  if (!lstatSync(abs).isDirectory()) {
    await rm(abs, { force: true });
    return;
  }
  const trees: string[] = [];
  const hoist = async (dir: string): Promise<void> => {
    const to = path.join(scratchDir, `${DELETE_PREFIX}${crypto.randomUUID().replaceAll('-', '')}`);
    // A folder moved there must be readable with room for its sub-folders, or this never ends.
    if (Buffer.byteLength(to) + 1 + MAX_SEGMENT_BYTES > NAMEABLE_DIR_BYTES) throw new Error('the storage area root is too deep to delete deep trees');
    try {
      await rename(dir, to);
    } catch (err) {
      if (isGone(err)) return; // removed meanwhile
      throw err;
    }
    trees.push(to);
  };
  if (Buffer.byteLength(abs) > NAMEABLE_DIR_BYTES) await hoist(abs);
  else trees.push(abs);
  for (let tree = trees.pop(); tree !== undefined; tree = trees.pop()) {
    // Depth-first; a folder is removed once everything in it is.
    const stack: Array<{ dir: string; emptied: boolean }> = [{ dir: tree, emptied: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.emptied) {
        stack.pop();
        await rmdir(top.dir).catch((err: unknown) => {
          if (!isGone(err)) throw err;
        });
        continue;
      }
      top.emptied = true;
      let dirents: Dirent[];
      try {
        dirents = await readdir(top.dir, { withFileTypes: true });
      } catch (err) {
        if (isGone(err)) continue;
        throw err;
      }
      for (const d of dirents) {
        const p = path.join(top.dir, d.name);
        if (!d.isDirectory()) await rm(p, { force: true });
        else if (Buffer.byteLength(p) <= NAMEABLE_DIR_BYTES) stack.push({ dir: p, emptied: false });
        else await hoist(p);
      }
    }
  }
}
