import { Injectable } from '@nestjs/common';
import { type Principal, principalLogin } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import type { AreaStorage } from '../storage/area-storage.js';
import { normalizeUserPath, StoragePathError } from '../storage/core/storage-path.js';
import { StorageService } from '../storage/storage.service.js';
import type { StorageAreaName } from '../storage/storage.types.js';
import { checkWritable, parentPath, type WriteCheck, type WriteTarget } from './core/locks.js';
import { DavLockStore } from './dav-lock.store.js';

/**
 * WebDAV locks for writers that are not WebDAV: the file API (`/api/file/*`, area `main`, which
 * `/dav/` and `/v2/dav/` show too) changes the same files, and must not change one a lock
 * holds. It cannot submit lock tokens, so any live lock covering what an operation would change
 * refuses it with `423 locked`, whoever holds the lock. What an operation changes is listed as
 * the DAV handlers list it for the same WebDAV method (`checkWritable` targets):
 *
 * - upload (PUT): the file; when it is new, also its parent collection, and, as the file API
 *   creates missing folders, every missing folder up to the nearest existing one (whose
 *   membership changes);
 * - delete (DELETE): the tree (depth infinity) and its parent;
 * - move (MOVE): the source tree and its parent, and the destination;
 * - copy (COPY): the destination — its tree when it exists, else it and its (new) parents.
 *
 * An account without live locks in the area costs one indexed query and nothing else. The check
 * is made before the operation, as DavPreparer makes it: a LOCK granted in between is not seen.
 */
@Injectable()
export class DavLockGate {
  constructor(
    private readonly locks: DavLockStore,
    private readonly storage: StorageService,
  ) {}

  /**
   * 423 `locked` when a live lock of the account's area covers one of `targets` (canonical paths
   * inside the area), whoever holds it: no token is submitted.
   */
  async requireUnlocked(accountId: string, area: StorageAreaName, targets: ReadonlyArray<string | WriteTarget>): Promise<void> {
    refuseLocked(checkWritable(await this.locks.live(accountId, area), targets, [], ''));
  }

  /** Before the file API writes `path` (upload). */
  upload(principal: Principal, path: string): Promise<void> {
    return this.check(principal, async (area) => {
      const file = canonical(path);
      return (await area.tryStat(file)) ? [file] : [file, ...(await newParents(area, file))];
    });
  }

  /** Before the file API deletes `path` with everything in it. */
  delete(principal: Principal, path: string): Promise<void> {
    return this.check(principal, async () => {
      const tree = canonical(path);
      // The root cannot be deleted; the storage says so (400), not a lock somewhere below.
      return tree === '/' ? [] : [{ path: tree, depth: 'infinity' }, parentPath(tree)!];
    });
  }

  /** Before the file API moves `from` to `to`. */
  move(principal: Principal, from: string, to: string): Promise<void> {
    return this.check(principal, async (area) => {
      const source = canonical(from);
      const sourceTargets: WriteTarget[] = source === '/' ? [] : [{ path: source, depth: 'infinity' }, { path: parentPath(source)!, depth: 0 }];
      return [...sourceTargets, ...(await destinationTargets(area, canonical(to)))];
    });
  }

  /** Before the file API copies `from` to `to` (the source is only read). */
  copy(principal: Principal, _from: string, to: string): Promise<void> {
    return this.check(principal, async (area) => destinationTargets(area, canonical(to)));
  }

  private async check(principal: Principal, targetsOf: (area: AreaStorage) => Promise<Array<string | WriteTarget>>): Promise<void> {
    const accountId = principal.account.id;
    const locks = await this.locks.live(accountId, 'main');
    if (locks.length === 0) return;
    const targets = await targetsOf(this.storage.area(accountId, 'main'));
    refuseLocked(checkWritable(locks, targets, [], principalLogin(principal)));
  }
}

function refuseLocked(check: WriteCheck): void {
  if (!check.ok) {
    // No path named: the lock may sit on a member the caller is not allowed to see.
    throw new DomainError('locked', 'a WebDAV lock holds what this would change; it can be changed once the lock is removed (UNLOCK) or expires');
  }
}

/** The storage's canonical path (as WebDAV's); a path it refuses is refused here the same way. */
function canonical(path: string): string {
  try {
    return normalizeUserPath(path);
  } catch (err) {
    if (err instanceof StoragePathError) throw new DomainError(err.code, err.message);
    throw err;
  }
}

/** What writing a new member at `path` changes above it: its parent, up to the nearest existing folder. */
async function newParents(area: AreaStorage, path: string): Promise<string[]> {
  const parents: string[] = [];
  for (let p = parentPath(path); p !== null; p = parentPath(p)) {
    parents.push(p);
    if ((await area.tryStat(p)) !== null) break;
  }
  return parents;
}

/** A COPY/MOVE destination: the existing tree it replaces, or the new member and its parents. */
async function destinationTargets(area: AreaStorage, dest: string): Promise<Array<string | WriteTarget>> {
  return (await area.tryStat(dest)) ? [{ path: dest, depth: 'infinity' }] : [dest, ...(await newParents(area, dest))];
}
