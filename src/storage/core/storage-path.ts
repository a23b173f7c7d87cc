import { type Dirent, lstatSync, realpathSync } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isTempName } from './atomic-write.js';

export type StoragePathErrorCode = 'path_invalid' | 'path_escape' | 'path_too_long';

const MESSAGES: Record<StoragePathErrorCode, string> = {
  path_invalid: 'invalid path',
  path_escape: 'path leaves the storage area',
  path_too_long: 'path too long',
};

/** A user path that is refused. The message never echoes the input (it may hold control chars). */
export class StoragePathError extends Error {
  override readonly name = 'StoragePathError';
  constructor(
    readonly code: StoragePathErrorCode,
    message: string = MESSAGES[code],
  ) {
    super(message);
  }
}

/** NAME_MAX on common filesystems: the longest name of one file or folder, in bytes. */
export const MAX_SEGMENT_BYTES = 255;
/** The longest user path ('/a/b', canonical, in bytes). */
export const MAX_PATH_BYTES = 4096;
/**
 * PATH_MAX on Linux: the OS takes an absolute path of at most this many bytes, its terminating
 * NUL included, in one call; a longer one fails with ENAMETOOLONG. A user path names a file at
 * `<area root><user path>` on disk, so both limits apply to every member of every tree.
 */
export const MAX_ABS_PATH_BYTES = 4096;
// C0, DEL and C1 controls are never a legitimate name and break logs, terminals and headers;
// backslash is a separator to Windows clients and to some WebDAV mounts, so it is ambiguous.
const FORBIDDEN_CHAR = /[\u0000-\u001f\u007f-\u009f\\]/;
const ONLY_WHITESPACE = /^\s+$/u;
const NON_ASCII = /[^\u0000-\u007f]/;
/**
 * What a name needs to have another spelling with the same NFC form: a non-ASCII character, or
 * one of the three ASCII characters that are the NFC form of another character (U+037E GREEK
 * QUESTION MARK is `;`, U+1FEF is `` ` ``, U+212A KELVIN SIGN is `K`).
 */
const MAY_HAVE_VARIANTS = /[^\u0000-\u007f]|[;`K]/;

/**
 * A name or path in Unicode NFC, the one form names are stored, looked up and decided by the ACL
 * in: `café` typed on Linux (NFC) and sent by macOS (NFD) is one file. ASCII is its own NFC
 * form, so most names cost one regex test.
 */
export function toNfc(text: string): string {
  return NON_ASCII.test(text) ? text.normalize('NFC') : text;
}

/**
 * Canonical form of a user path ('/a/b', root '/'), given as the HTTP layer decoded it once:
 * it is not decoded again, so '%2e%2e' is a literal name, never '..'.
 * A leading '/' is optional and means the area root, never the host's root.
 * '..' is refused rather than resolved: a file API client has no reason to send it.
 * Names are in Unicode NFC (see toNfc); no NFC form adds a separator, a dot segment or a control
 * character, so the checks below hold for what was sent and for what is kept.
 */
export function normalizeUserPath(input: string): string {
  // typeof guards JS callers: a repeated query parameter arrives as an array.
  // isWellFormed: a lone surrogate would be silently replaced with U+FFFD when encoded, so two
  // different inputs would name the same file.
  if (typeof input !== 'string' || !input.isWellFormed() || FORBIDDEN_CHAR.test(input)) {
    throw new StoragePathError('path_invalid');
  }
  const segments: string[] = [];
  for (const seg of toNfc(input).split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw new StoragePathError('path_escape');
    // Blank names are invisible in every client; reserved names are our temp files.
    if (ONLY_WHITESPACE.test(seg) || isTempName(seg)) throw new StoragePathError('path_invalid');
    if (Buffer.byteLength(seg) > MAX_SEGMENT_BYTES) throw new StoragePathError('path_too_long');
    segments.push(seg);
  }
  const canonical = '/' + segments.join('/');
  if (Buffer.byteLength(canonical) > MAX_PATH_BYTES) throw new StoragePathError('path_too_long');
  return canonical;
}

/**
 * Absolute real path for `userPath` inside `areaRoot` (which must exist), also for paths that
 * do not exist yet (upload, mkdir). Symlinks are followed, and refused (path_escape) when any
 * existing part of the path resolves outside realpath(areaRoot), or cannot be resolved at all
 * (dangling link, loop): a dangling link could be created through later and land outside.
 *
 * The check is done now; the service itself never creates symlinks, so only someone with
 * direct access to the storage could swap a directory for a link between check and use.
 * `knownRealRoot` is realpath(areaRoot) when the caller remembers it (AreaStorage does).
 */
export async function resolveInArea(areaRoot: string, userPath: string, knownRealRoot?: string): Promise<string> {
  const segments = normalizeUserPath(userPath).split('/').filter(Boolean);
  const root = knownRealRoot ?? (await realpath(areaRoot));
  // From the full path upwards, find the deepest entry that exists; realpath resolves every
  // link on the way, so checking that one result covers all its ancestors.
  let found = 0;
  let base = root;
  for (let i = segments.length; i > 0; i--) {
    const real = realOf(path.join(root, ...segments.slice(0, i)));
    if (real === null) continue;
    if (!isInside(root, real)) throw new StoragePathError('path_escape');
    if (i === segments.length) return real;
    found = i;
    base = real;
    break;
  }
  // Beneath it, a name may be on disk in another Unicode form than NFC: stored by an earlier
  // version, which kept names as sent (macOS sends NFD). Looked for only where the NFC name is
  // missing, and only for names that have another form at all: one readdir of that folder.
  for (let i = found; i < segments.length; i++) {
    const seg = segments[i]!;
    // The NFC name itself (known missing at `found`), beneath a folder found by another form.
    let real = i === found ? null : realOf(path.join(base, seg));
    if (real === null) {
      const stored = MAY_HAVE_VARIANTS.test(seg) ? await storedVariant(base, seg) : null;
      real = stored === null ? null : realOf(path.join(base, stored));
      if (real === null) return path.join(base, ...segments.slice(i)); // does not exist (yet)
    }
    if (!isInside(root, real)) throw new StoragePathError('path_escape');
    base = real;
  }
  return base;
}

/**
 * realpath of an existing entry; null when there is none (ENOENT, ENOTDIR). Synchronous, as
 * AreaStorage's other look-ups of a request's path: for the cached entries of a path in use it
 * costs ~10 µs in the call, where a thread-pool round trip costs ~35 µs of CPU (bench/README.md).
 */
function realOf(candidate: string): string | null {
  try {
    return realpathSync.native(candidate);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ELOOP') throw new StoragePathError('path_escape');
    if (code === 'ENAMETOOLONG') throw new StoragePathError('path_too_long');
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    // realpath also says ENOENT for a link whose target is missing; lstat tells them apart.
    if (!entryExists(candidate)) return null;
    // Or the entry was made meanwhile (two uploads creating the same new folder): then it resolves now.
    try {
      return realpathSync.native(candidate);
    } catch {
      throw new StoragePathError('path_escape');
    }
  }
}

/**
 * The name on disk, in the folder `dirAbs`, of the entry whose NFC form is `name` (itself
 * missing there), or null. Several candidates: the first in code-unit order, as userNamesOf.
 */
async function storedVariant(dirAbs: string, name: string): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(dirAbs);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ENAMETOOLONG') throw new StoragePathError('path_too_long');
    throw err;
  }
  let best: string | null = null;
  for (const stored of names) {
    // An ASCII name is its own NFC form, so only non-ASCII names can be another form of `name`.
    if (stored === name || !NON_ASCII.test(stored) || isTempName(stored)) continue;
    if (stored.normalize('NFC') === name && (best === null || stored < best)) best = stored;
  }
  return best;
}

/**
 * The members of a folder (its dirents, or anything named) under the names requests address them
 * by, NFC, each with its name on disk. A name stored in another form by an earlier version is
 * shown in NFC; when several stored names share one NFC form, only the one a request reaches is
 * kept (see resolveInArea): the NFC name itself, else the first in code-unit order. The order of
 * the result is not defined.
 */
export function userNamesOf<T extends { readonly name: string }>(entries: readonly T[]): Array<{ name: string; entry: T }> {
  // Without a non-ASCII name there is nothing to normalise and no two names can collide.
  if (!entries.some((e) => NON_ASCII.test(e.name))) return entries.map((entry) => ({ name: entry.name, entry }));
  const chosen = new Map<string, T>();
  for (const entry of entries) {
    const name = toNfc(entry.name);
    const held = chosen.get(name);
    if (held === undefined || entry.name === name || (held.name !== name && entry.name < held.name)) chosen.set(name, entry);
  }
  return Array.from(chosen, ([name, entry]) => ({ name, entry }));
}

/** A user path and where it lies on disk (as resolveInArea answered). */
export interface PlacedPath {
  canonical: string;
  abs: string;
}

/**
 * Refuses (path_too_long) a move or copy of `from` to `to` that would create a path beyond the
 * limits: `to` itself and, when `tree` (a folder with its contents), every member below `from`
 * re-rooted at `to` must fit both the user path limit and PATH_MAX for its absolute path on
 * disk. Without this check, moving one deep folder into another answered 200 and left a tree
 * that no listing, report or delete could open.
 *
 * When `to` is no longer than `from` (by both measures), nothing longer than what already exists
 * can be created and the tree is not walked. Otherwise its folders are read, links not followed
 * (a link loop costs nothing), until the first member that would not fit. Members added to the
 * source while the move or copy runs are not covered; they can only come from another request
 * racing this one, each of which the OS refuses past PATH_MAX.
 */
export async function assertTreeFits(from: PlacedPath, to: PlacedPath, tree: boolean): Promise<void> {
  const toUser = Buffer.byteLength(to.canonical);
  const toAbs = Buffer.byteLength(to.abs);
  // How many bytes a member's path below `to` ('/x/y') may have, by the tighter limit.
  const budget = Math.min(MAX_PATH_BYTES - toUser, MAX_ABS_PATH_BYTES - 1 - toAbs);
  if (budget < 0) throw new StoragePathError('path_too_long');
  if (!tree) return;
  if (toUser <= Buffer.byteLength(from.canonical) && toAbs <= Buffer.byteLength(from.abs)) return;
  const pending: Array<{ abs: string; bytes: number }> = [{ abs: from.abs, bytes: 0 }];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let dirents: Dirent[];
    try {
      dirents = await readdir(dir.abs, { withFileTypes: true });
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') continue; // removed meanwhile
      // Already beyond PATH_MAX where it lies, so longer still where it would go.
      if (code === 'ENAMETOOLONG') throw new StoragePathError('path_too_long');
      throw err;
    }
    for (const d of dirents) {
      const bytes = dir.bytes + 1 + Buffer.byteLength(d.name);
      if (bytes > budget) throw new StoragePathError('path_too_long');
      if (d.isDirectory()) pending.push({ abs: path.join(dir.abs, d.name), bytes });
    }
  }
}

function entryExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  // '..name' is a legitimate child; only a whole '..' segment leaves.
  return rel === '' || (!path.isAbsolute(rel) && rel !== '..' && !rel.startsWith('..' + path.sep));
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}
