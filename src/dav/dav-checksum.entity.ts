import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

/**
 * The SHA-1 and MD5 of a file uploaded through WebDAV (shown as `oc:checksums`), computed while
 * the upload streamed. `etag` is the identity of the file they were computed for (inode, size,
 * modification time in ns, as in its ETag): a row only counts while the file at `path` still has
 * it, so a file replaced or changed behind the service's back (file API, disk) is never shown
 * with a stale checksum. `id` is the sha256 of (account, area, path); `parent_hash` finds a
 * folder's members (PROPFIND Depth 1, one query).
 */
@Entity('dav_checksums')
@Index(['accountId', 'area', 'parentHash'])
export class DavChecksumRow {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @Column({ type: 'varchar', length: 16 })
  area: string;

  /** Decoded path inside the area, canonical (`/docs/a.txt`). */
  @Column({ type: 'text' })
  path: string;

  @Column({ name: 'parent_hash', type: 'varchar', length: 64 })
  parentHash: string;

  /** The file's ETag when the digests were computed (or carried over by MOVE, COPY, PROPPATCH). */
  @Column({ type: 'varchar', length: 100 })
  etag: string;

  @Column({ type: 'varchar', length: 40 })
  sha1: string;

  @Column({ type: 'varchar', length: 32 })
  md5: string;

  @InstantColumn({ name: 'updated_at' })
  updatedAt: Date;
}
