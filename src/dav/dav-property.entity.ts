import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

/**
 * One dead property (RFC 4918 §4) of a resource, set by PROPPATCH. Paths and names can be far
 * longer than a PostgreSQL B-tree entry holds, so rows are found through hashes: `id` is the
 * sha256 of (account, area, path, namespace, local name), `path_hash` finds a resource's
 * properties, `parent_hash` those of a folder's members (PROPFIND Depth 1, one query).
 */
@Entity('dav_properties')
@Index(['accountId', 'area', 'pathHash'])
@Index(['accountId', 'area', 'parentHash'])
export class DavPropertyRow {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @Column({ type: 'varchar', length: 16 })
  area: string;

  /** Decoded path inside the area, canonical (`/docs/a.txt`, root `/`). */
  @Column({ type: 'text' })
  path: string;

  @Column({ name: 'path_hash', type: 'varchar', length: 64 })
  pathHash: string;

  @Column({ name: 'parent_hash', type: 'varchar', length: 64 })
  parentHash: string;

  /** Namespace URI, `''` for none. */
  @Column({ type: 'text' })
  ns: string;

  @Column({ name: 'local_name', type: 'text' })
  local: string;

  /** The value as XML that re-reads to what the client set (see parseProppatch). */
  @Column({ name: 'value_xml', type: 'text' })
  valueXml: string;

  @Column({ type: 'text', nullable: true })
  lang: string | null;

  @InstantColumn({ name: 'updated_at' })
  updatedAt: Date;
}
