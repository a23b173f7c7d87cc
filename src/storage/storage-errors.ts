import { DomainError } from '../errors/domain-error.js';
import { StorageLimitError } from './core/atomic-write.js';
import { StoragePathError } from './core/storage-path.js';

/**
 * Turns what the storage core and the filesystem throw into contract errors (contract §8).
 * `missing` says what an absent entry means for the operation at hand: `not_found` when the
 * target itself is looked up, `conflict` when a missing parent stops a write (as WebDAV's 409).
 * Errors with no client meaning (EACCES, EIO, ...) are rethrown as they are: they are ours to
 * fix, and the global filter answers 500 and logs them. Every storage operation that touches
 * the disk on a request's behalf passes its errors through here (the storage report skips what
 * it cannot open instead: StorageService's `measure`).
 */
export function toStorageError(err: unknown, missing: 'not_found' | 'conflict' = 'not_found'): unknown {
  if (err instanceof DomainError) return err;
  if (err instanceof StoragePathError) return new DomainError(err.code, err.message);
  if (err instanceof StorageLimitError) return new DomainError('payload_too_large', `the file exceeds the upload limit of ${err.limit} bytes`);
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return missing === 'not_found' ? new DomainError('not_found', 'no such file or folder') : new DomainError('conflict', 'the parent folder does not exist');
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new DomainError('conflict', 'the target already exists');
    case 'EISDIR':
      return new DomainError('conflict', 'the target is a folder');
    case 'ENAMETOOLONG':
      // The path asked for, or a member of a tree walked for it, lies deeper on disk than the OS
      // takes in one call (PATH_MAX): the same refusal as a user path over the limits.
      return new DomainError('path_too_long', 'path too long: deeper than the filesystem allows (4096 bytes)');
    case 'ELOOP':
      // A link that cannot be resolved (a loop), or one planted after the path was checked: the
      // storage never follows links it cannot place inside the area (see resolveInArea).
      return new DomainError('path_escape', 'path leaves the storage area');
    case 'ENOSPC':
    case 'EDQUOT':
      return new DomainError('insufficient_storage', 'the storage is full');
    default:
      return err;
  }
}
