import type { Readable } from 'node:stream';
import type { DigestName } from './core/atomic-write.js';

/** The storage areas of an account (contract §5): `main` (file API, /dav/, /v2/dav/) and `backup` (/backup/). */
export const STORAGE_AREAS = ['main', 'backup'] as const;
export type StorageAreaName = (typeof STORAGE_AREAS)[number];

export type EntryType = 'file' | 'directory';

/**
 * Who may do one action (read, write, delete, list...) on which members of a tree, decided for
 * each member as its own request path would be (contract §6). Storage operations that act on a tree
 * take one as an argument, so no recursive operation can be written without deciding access;
 * the caller builds it for the principal and the action (AclService.memberAccess).
 */
export interface MemberAccess {
  /** Throws the refusal (403) unless the action is allowed on the one member at `path`. */
  require(path: string): void;
  /**
   * Throws the refusal unless the action is allowed on `path` and on every member that could lie
   * beneath it: refused before anything is done, whether or not such a member exists yet.
   */
  requireTree(path: string): void;
  /** Whether the action is allowed on the member at `path` (listings leave out the others). */
  allows(path: string): boolean;
  /** True when every member beneath `path` is decided as `path` itself: no per-member decision needed. */
  uniformBeneath(path: string): boolean;
}

/** A full login on its own storage: every member of every tree. */
export const EVERY_MEMBER: MemberAccess = Object.freeze({
  require: () => undefined,
  requireTree: () => undefined,
  allows: () => true,
  uniformBeneath: () => true,
});

/** Copy reads (or moves away) the source's members and writes the target's. */
export interface TransferAccess {
  source: MemberAccess;
  target: MemberAccess;
}

/** One file or folder, as every transport shows it. */
export interface StorageEntry {
  /** The last segment; '' for the area root. */
  name: string;
  /** Canonical user path inside the area: '/', '/docs/a.txt'. */
  path: string;
  type: EntryType;
  /** Bytes; 0 for folders. */
  size: number;
  modified: Date;
  /**
   * Strong entity tag, quoted (`"…"`), from inode, size and mtime in nanoseconds: it changes
   * whenever the content is replaced (uploads rename a new inode into place).
   */
  etag: string;
}

export interface ListOptions {
  /** Walk sub-folders too (depth-first, each folder's entries in name order). */
  recursive?: boolean;
  /** At most this many entries are examined; the result says `truncated` when more exist. */
  limit?: number;
  /** Keeps only the entries it accepts; recursion still descends into folders it rejects. */
  filter?: (entry: StorageEntry) => boolean;
}

export interface ListResult {
  /** The listed folder itself. */
  folder: StorageEntry;
  entries: StorageEntry[];
  truncated: boolean;
}

/** An inclusive byte range, already checked against the file's size. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * An open file: its metadata as of opening, and its content. The caller either takes the content
 * once (`stream()`, which closes the file when it ends or is destroyed, or `read()`) or calls
 * `close()`; stat and content come from one open file, so the ETag and the bytes belong together.
 */
export interface ReadHandle {
  entry: StorageEntry;
  stream(range?: ByteRange): Readable;
  /** The content (or `range` of it) in one buffer of its size, then the file is closed: for small files. */
  read(range?: ByteRange): Promise<Buffer>;
  close(): Promise<void>;
}

export interface WriteOptions {
  /** Refuse (413 `payload_too_large`, nothing changed) once the content exceeds this. */
  maxBytes?: number;
  /**
   * The size the client announced (Content-Length): when it would not fit the account's quota
   * the write is refused (507 `quota_exceeded`) before a byte is read. Without it, the content
   * is cut off at the quota all the same.
   */
  expectedBytes?: number;
  /** Aborting before the final rename leaves the target untouched. */
  signal?: AbortSignal;
  /** Compute the content's SHA-256 on the way through (off by default: it costs CPU per byte). */
  sha256?: boolean;
  /** Digests to compute on the way through (see AtomicWriteOptions.digests), in `WriteResult.digests`. */
  digests?: readonly DigestName[];
  /** Modification time the new file gets (it appears with it: set before the rename). */
  mtime?: Date;
  /** Throwing refuses the upload before it replaces anything (see AtomicWriteOptions.verify). */
  verify?: (result: { bytes: number; digests?: Partial<Record<DigestName, string>> }) => void;
  /** Create missing parent folders (file API) instead of answering 409 (WebDAV). */
  createParents?: boolean;
  /** Replace an existing file (default true); false answers 409 when the target exists. */
  overwrite?: boolean;
}

export interface WriteResult {
  entry: StorageEntry;
  /** False when an existing file was replaced. */
  created: boolean;
  bytes: number;
  /** Only when asked for (`WriteOptions.sha256`). */
  sha256?: string;
  /** Only those asked for (`WriteOptions.digests`), hex. */
  digests?: Partial<Record<DigestName, string>>;
}

export interface TransferOptions {
  /** Replace an existing target (a file or a whole folder); false answers 409. */
  overwrite?: boolean;
  createParents?: boolean;
}

export interface CopyOptions extends TransferOptions {
  /** Copy a folder without its contents (WebDAV `Depth: 0`). */
  shallow?: boolean;
}

export interface TransferResult {
  entry: StorageEntry;
  /** True when an existing target was replaced. */
  replaced: boolean;
}

export interface AreaUsage {
  bytes: number;
  files: number;
  folders: number;
}

/**
 * The account's storage quota as an AreaStorage sees it (StorageQuotaService): one figure for
 * the main and backup areas together. Writes and copies are refused (507 `quota_exceeded`)
 * beyond `available`; every change is reported with `changed`.
 */
export interface UsageLedger {
  /**
   * `available`: bytes the account may still add (Infinity without a quota; below 0 when it is
   * over a lowered quota). `tracked`: whether a usage figure is kept, so that what a tree
   * operation adds or frees must be measured and reported.
   */
  allowance(): Promise<{ available: number; tracked: boolean }>;
  /** Bytes added (positive) or freed (negative). Never fails: a lost change is corrected by the next measurement. */
  changed(bytes: number): Promise<void>;
}
