import { createHash } from 'node:crypto';
import { closeSync, constants, fdatasync, fsync, futimesSync, open as openCb, openSync, rename as renameCb, writev, writevSync } from 'node:fs';
import { lstat, opendir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { collectYoungGarbage } from '../../common/young-gc.js';
import { randomNonce } from '../../crypto/secrets.js';
import { DigestJob, type DigestName } from './digest-worker.js';

/** Upload exceeded `maxBytes`; nothing was changed. Maps to HTTP 413. */
export class StorageLimitError extends Error {
  override readonly name = 'StorageLimitError';
  readonly code = 'too_large' as const;
  constructor(readonly limit: number) {
    super(`upload exceeds the limit of ${limit} bytes`);
  }
}

export interface AtomicWriteOptions {
  /** Refuse (and leave the target untouched) once the stream goes past this many bytes. */
  maxBytes?: number;
  /** Aborting before the rename leaves the target untouched and rejects with the abort error. */
  signal?: AbortSignal;
  /**
   * Compute the hex SHA-256 of the bytes on the way through (default false: it costs main-thread
   * CPU in proportion to the size, and no caller uses it today).
   */
  sha256?: boolean;
  /**
   * Also compute these digests on the way through (hex, in `digests`), on a worker thread
   * (DigestJob): they cost CPU in proportion to the size (bench/README.md), so only callers that
   * keep them ask (WebDAV, for sync clients' checksums).
   */
  digests?: readonly DigestName[];
  /**
   * The body's size when known beforehand (a request's Content-Length): a body announced at most
   * SMALL_WRITE_BYTES is written in one synchronous call once it has all arrived.
   */
  expectedBytes?: number;
  /** The new file's modification time, set on the temp file before the rename (so it appears with it). */
  mtime?: Date;
  /**
   * Called once every byte is on disk, before the rename: throwing refuses the upload, which
   * then leaves nothing behind (e.g. a client-supplied checksum that does not match).
   */
  verify?: (result: AtomicWriteResult) => void;
}

export type { DigestName } from './digest-worker.js';

export interface AtomicWriteResult {
  bytes: number;
  /** Hex SHA-256 of the bytes written, when asked for with `sha256: true`. */
  sha256?: string;
  /** Hex digests asked for with `digests`. */
  digests?: Partial<Record<DigestName, string>>;
}

/**
 * While one write is in flight, the chunks that arrive meanwhile are gathered up to this many
 * bytes and go out in one `writev`: a socket delivers 16–64 KiB at a time, and waiting for one
 * thread-pool round trip per such chunk before reading the next kept PUT below the disk's speed.
 * Reading the socket and writing the disk now overlap.
 */
export const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Every this many bytes written, a `fdatasync` starts in the background (one at a time), so the
 * disk writes a large upload back while the rest arrives and the final fsync has only the tail
 * left. With one fsync at the end, a 256 MiB PUT ran at 0.57 of Apache's (which does not fsync);
 * with this at 8 MiB, at 0.98 (32 MiB: 0.85).
 */
export const EARLY_SYNC_BYTES = 8 * 1024 * 1024;

/**
 * A body announced (`expectedBytes`) at most this large is written in one synchronous writev once
 * it has arrived: one call of a few µs into the page cache, where a round trip to the thread pool
 * costs ~35 µs of CPU. Other bodies are written on the thread pool as they arrive (a large write
 * into a busy page cache may wait for the disk, which must not stall the event loop). Either way
 * the fsyncs, which wait for the disk, run on the thread pool.
 */
export const SMALL_WRITE_BYTES = 64 * 1024;

/** Every this many bytes of a stream written, the chunks it came in are collected (see collectYoungGarbage). */
export const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

// The whole `.portcullis-` prefix is reserved (case-insensitively, so nothing collides on a
// case-insensitive filesystem either): users can never create such a name, so hiding them in
// listings never hides a user's file.
const RESERVED_PREFIX = /^\.portcullis-/i;
// The sweep only deletes the exact shape writeFileAtomic creates, nothing else in the namespace.
const UPLOAD_TEMP = /^\.portcullis-upload-[0-9a-f]{32}$/;

/** True for names in the reserved temp namespace: hide them from listings, refuse them as input. */
export function isTempName(name: string): boolean {
  return RESERVED_PREFIX.test(name);
}

/**
 * Streams `source` into `targetAbs` so that readers see either the whole old file or the whole
 * new one: write a temp file in the same directory (rename is only atomic within a filesystem),
 * fsync it, rename it over the target, fsync the directory (so the rename survives a crash).
 *
 * On any failure (source error, over-limit, abort, I/O) the temp file is removed and the error
 * rethrown, and the source is released as `stream.pipeline` would: a Node stream is destroyed,
 * another iterator gets `return()`. An HTTP layer that wants to answer 413 on the same
 * connection should check Content-Length before calling this.
 * The target's directory must exist.
 */
export async function writeFileAtomic(
  targetAbs: string,
  source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  opts: AtomicWriteOptions = {},
): Promise<AtomicWriteResult> {
  const { maxBytes = Infinity, signal } = opts;
  signal?.throwIfAborted();
  const dir = path.dirname(targetAbs);
  const tmp = path.join(dir, `.portcullis-upload-${randomNonce(16).toString('hex')}`);
  const hash = opts.sha256 ? createHash('sha256') : undefined;
  const digests = opts.digests?.length ? new DigestJob(opts.digests) : undefined;
  let bytes = 0;
  let result: AtomicWriteResult;

  // A hand-driven loop rather than stream.pipeline: pipeline never settles when aborted while
  // an async-iterable source is stalled (a slow client), which is exactly when abort matters.
  const chunks = (source as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  // O_CREAT|O_EXCL: never reuse an existing entry or follow a planted symlink. Created and renamed
  // on the thread pool: both take the folder's lock, which a folder fsync (syncDir, another
  // upload's) holds while it writes, so on the main thread they stalled every request for it
  // (~0.3 ms a PUT under load, strace); there only this upload waits (issue 18: 4 KiB PUTs ~15 %
  // more a second, interleaved runs). Closed synchronously: a few µs.
  let fd: number;
  try {
    fd = await openAsync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
  } catch (err) {
    release(source, chunks);
    throw err;
  }
  // At most one write in flight. A small announced body (SMALL_WRITE_BYTES) gathers in `batch` and
  // is written synchronously when it ends (past its announced size, it streams as any other).
  // Otherwise, while the disk is idle a chunk is written at once; while a write is in flight the
  // next chunks gather in `batch` (up to WRITE_BATCH_BYTES, then we wait), and go out together in
  // one writev. A failed write is seen when awaited (at the next flush, at the end, or in
  // `finally`), never as an unhandled rejection.
  let inflight: Promise<void> | undefined;
  let busy = false;
  let streaming = !(opts.expectedBytes !== undefined && opts.expectedBytes <= SMALL_WRITE_BYTES);
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let unsynced = 0;
  let uncollected = 0;
  let syncing: Promise<void> | undefined;
  const start = () => {
    const buffers = batch;
    const written = batchBytes;
    batch = [];
    batchBytes = 0;
    busy = true;
    inflight = writeAll(fd, buffers).finally(() => {
      busy = false;
    });
    inflight.catch(() => undefined);
    unsynced += written;
    uncollected += written;
    if (uncollected >= COLLECT_EVERY_BYTES) {
      uncollected = 0;
      collectYoungGarbage();
    }
    if (unsynced >= EARLY_SYNC_BYTES && !syncing) {
      unsynced = 0;
      // Errors surface at the final fsync, which covers the same data.
      syncing = inflight.then(() => fdatasyncAsync(fd)).catch(() => undefined).finally(() => (syncing = undefined));
    }
  };
  const settle = async () => {
    if (inflight) await inflight;
    inflight = undefined;
  };
  try {
    try {
      for (;;) {
        const next = await nextOrAbort(chunks, signal);
        if (next.done) break;
        const v = next.value;
        const chunk = typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        bytes += chunk.byteLength;
        // Checked before writing: never more than maxBytes reach the disk.
        if (bytes > maxBytes) throw new StorageLimitError(maxBytes);
        hash?.update(chunk);
        const digested = digests?.update(chunk);
        if (digested) await digested; // the worker is behind: wait rather than queue without bound
        if (chunk.byteLength === 0) continue;
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        if (!streaming) {
          if (batchBytes <= SMALL_WRITE_BYTES) continue;
          streaming = true;
        }
        if (!busy) {
          await settle(); // surfaces the previous write's error, if any
          start();
        } else if (batchBytes >= WRITE_BATCH_BYTES) {
          await settle();
          start();
        }
      }
      await settle();
      if (!streaming) writeAllSync(fd, batch);
      else if (batchBytes > 0) start();
      await settle();
      await syncing;
      if (opts.mtime) futimesSync(fd, new Date(), opts.mtime);
      await fsyncAsync(fd);
    } finally {
      if (inflight) await inflight.catch(() => undefined);
      await syncing;
      closeSync(fd);
    }
    result = hash ? { bytes, sha256: hash.digest('hex') } : { bytes };
    if (digests) result.digests = await digests.finish();
    opts.verify?.(result);
    // Last point where an abort can still cancel: after the rename the new version is live.
    signal?.throwIfAborted();
    await renameAsync(tmp, targetAbs);
  } catch (err) {
    digests?.abort();
    release(source, chunks);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
  return result;
}

const writevAsync = promisify(writev);
const openAsync = promisify(openCb);
const renameAsync = promisify(renameCb);
const fsyncAsync = promisify(fsync);
const fdatasyncAsync = promisify(fdatasync);

/** Writes all of `buffers` at the file's current position, resuming after short writes. */
async function writeAll(fd: number, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    let { bytesWritten } = await writevAsync(fd, pending);
    let i = 0;
    while (i < pending.length && bytesWritten >= pending[i]!.byteLength) bytesWritten -= pending[i++]!.byteLength;
    pending = pending.slice(i);
    if (bytesWritten > 0) pending[0] = pending[0]!.subarray(bytesWritten);
  }
}

/** writeAll in the calling thread, for a small body (SMALL_WRITE_BYTES). */
function writeAllSync(fd: number, buffers: Buffer[]): void {
  let pending = buffers;
  while (pending.length > 0) {
    let bytesWritten = writevSync(fd, pending);
    let i = 0;
    while (i < pending.length && bytesWritten >= pending[i]!.byteLength) bytesWritten -= pending[i++]!.byteLength;
    pending = pending.slice(i);
    if (bytesWritten > 0) pending[0] = pending[0]!.subarray(bytesWritten);
  }
}

/** `it.next()`, but rejects with the abort reason as soon as `signal` fires, even if it stalls. */
function nextOrAbort<T>(it: AsyncIterator<T>, signal?: AbortSignal): Promise<IteratorResult<T>> {
  signal?.throwIfAborted();
  if (!signal) return it.next();
  const next = it.next();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // A late rejection of `next` lands here too, so it is never unhandled.
    next.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function release(source: object, it: AsyncIterator<unknown>): void {
  const destroy = (source as { destroy?: unknown }).destroy;
  // destroy() directly: a stream iterator's return() would queue behind a stalled next().
  if (typeof destroy === 'function') destroy.call(source);
  else it.return?.().catch(() => undefined); // not awaited, for the same reason
}

/**
 * One fsync of a folder shared by the writes renamed into it meanwhile (group commit). A caller
 * is answered only after an fsync that started after its rename (which `syncDir` is called after):
 * with none under way, one starts now; with one under way, which may have started before the
 * rename, the caller waits for the next, which starts when that one ends and serves everyone who
 * arrived in between. An fsync's error goes to everyone it served. Sixteen concurrent PUTs into
 * one folder cost two or three folder fsyncs instead of sixteen (bench/README.md).
 */
export function groupSync(fsyncFolder: (dir: string) => Promise<void>): (dir: string) => Promise<void> {
  const folders = new Map<string, { running: Promise<void> | null; next: Promise<void> | null }>();
  const start = (dir: string, state: { running: Promise<void> | null; next: Promise<void> | null }): Promise<void> => {
    const running: Promise<void> = fsyncFolder(dir).finally(() => {
      if (state.running === running) state.running = null;
      if (state.running === null && state.next === null) folders.delete(dir);
    });
    state.running = running;
    return running;
  };
  return (dir) => {
    let state = folders.get(dir);
    if (state === undefined) folders.set(dir, (state = { running: null, next: null }));
    const { running } = state;
    if (running === null) return start(dir, state);
    const s = state;
    return (s.next ??= running
      .catch(() => undefined)
      .then(() => {
        s.next = null;
        return start(dir, s);
      }));
  };
}

const syncDir = groupSync(async (dir) => {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const d = openSync(dir, constants.O_RDONLY);
  try {
    await fsyncAsync(d);
  } finally {
    closeSync(d);
  }
});

/**
 * Deletes upload temp files older than `olderThanMs` (by mtime) anywhere under `areaRoot`:
 * leftovers of a crash (kill -9) mid-upload. An upload in progress touches its temp file's
 * mtime on every write, so a cut-off well above the slowest expected gap between chunks never
 * removes a live upload, even one from another instance on shared storage.
 * Does not follow symlinks. Returns the number of files removed.
 */
export async function removeStaleTempFiles(areaRoot: string, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  const pending = [areaRoot];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries;
    try {
      entries = await opendir(dir);
    } catch (err) {
      if (isGone(err)) continue; // removed or replaced while we walked
      throw err;
    }
    for await (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) pending.push(p); // false for symlinks: never leave the area
      else if (e.isFile() && UPLOAD_TEMP.test(e.name)) {
        try {
          if ((await lstat(p)).mtimeMs < cutoff) {
            await unlink(p);
            removed++;
          }
        } catch (err) {
          if (!isGone(err)) throw err;
        }
      }
    }
  }
  return removed;
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
