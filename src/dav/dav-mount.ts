import type { StorageAreaName } from '../storage/storage.types.js';

/**
 * One WebDAV mount (contract §5): where it is served, the storage area it shows, and the ACL class
 * that limits sublogins and tokens on it (contract §6). `/dav/` and `/v2/dav/` show the same area,
 * so they share files, dead properties and locks; only their credentials differ.
 */
export interface DavMount {
  /** URL path prefix, without trailing slash. */
  readonly prefix: '/dav' | '/backup' | '/v2/dav';
  readonly area: StorageAreaName;
  readonly aclClass: 'dav' | 'backup';
}

export const DAV_MOUNT: DavMount = { prefix: '/dav', area: 'main', aclClass: 'dav' };
export const BACKUP_MOUNT: DavMount = { prefix: '/backup', area: 'backup', aclClass: 'backup' };
export const V2_DAV_MOUNT: DavMount = { prefix: '/v2/dav', area: 'main', aclClass: 'dav' };

export const DAV_MOUNTS: readonly DavMount[] = [DAV_MOUNT, BACKUP_MOUNT, V2_DAV_MOUNT];

/**
 * The decoded URL path of `path` (a canonical area path, `/` or `/a/b`) on `mount`, with a
 * trailing slash for collections: what goes into `<D:href>` (MultistatusWriter encodes it).
 */
export function hrefOf(mount: DavMount, path: string, collection: boolean): string {
  if (path === '/') return `${mount.prefix}/`;
  return collection ? `${mount.prefix}${path}/` : `${mount.prefix}${path}`;
}
