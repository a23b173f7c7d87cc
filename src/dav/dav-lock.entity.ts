import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

/**
 * One WebDAV write lock (RFC 4918 §6), shared by every instance through the database. Keyed by
 * its token; a mount's locks are read together by (account, area), since `/dav/` and `/v2/dav/`
 * show the same area and therefore the same locks. `root` is the decoded path inside the area
 * (`/docs/a.txt`, no trailing slash). Expired rows are ignored by every reader and pruned.
 */
@Entity('dav_locks')
@Index(['accountId', 'area'])
export class DavLockRow {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  token: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @Column({ type: 'varchar', length: 16 })
  area: string;

  @Column({ type: 'text' })
  root: string;

  /** `0` or `infinity`. */
  @Column({ type: 'varchar', length: 8 })
  depth: string;

  /** `exclusive` or `shared`. */
  @Column({ type: 'varchar', length: 16 })
  scope: string;

  /** The client's `<D:owner>` content as XML, shown back in lockdiscovery. */
  @Column({ name: 'owner_xml', type: 'text', nullable: true })
  ownerXml: string | null;

  /** The login that took the lock: only it may use the token (RFC 4918 §6.4). */
  @Column({ type: 'varchar', length: 65 })
  principal: string;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @Index()
  @InstantColumn({ name: 'expires_at' })
  expiresAt: Date;
}
