import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Sublogin } from '../accounts/sublogin.entity.js';
import { AddressRangesColumn, InstantColumn } from '../database/columns.js';
import type { LinkMethod, LinkTarget } from './core/link-token.js';

/**
 * A signed link (contract §4.8): what it allows, for whom it acts, and its constraints. The token
 * itself is not stored — only its MAC's inputs, so the row cannot be turned back into a link.
 * Deleting the creating account or sublogin deletes its links.
 */
@Entity('signed_links')
@Index(['accountId', 'createdAt'])
export class SignedLink {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The signing key's id (LINK_KEY_IDS). */
  @Column({ name: 'key_id', type: 'varchar', length: 8 })
  keyId: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;

  /** The sublogin that created it, null when the account did. */
  @Column({ name: 'sublogin_id', type: 'varchar', length: 36, nullable: true })
  subloginId: string | null;

  @ManyToOne(() => Sublogin, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'sublogin_id' })
  sublogin?: Sublogin | null;

  /** The application (API key or OAuth client) of the request that created it; null for a session or none. */
  @Column({ name: 'application_id', type: 'varchar', length: 36, nullable: true })
  applicationId: string | null;

  @Column({ type: 'varchar', length: 8 })
  method: LinkMethod;

  @Column({ type: 'varchar', length: 8 })
  target: LinkTarget;

  /** Canonical storage path: the file, or the folder prefix (no trailing `/`). */
  @Column({ type: 'text' })
  path: string;

  @InstantColumn({ name: 'expires_at' })
  expiresAt: Date;

  @AddressRangesColumn({ name: 'allowed_ranges' })
  allowedRanges: string[] | null;

  @Column({ name: 'max_uses', type: 'integer', nullable: true })
  maxUses: number | null;

  @Column({ type: 'integer', default: 0 })
  uses: number;

  @Column({ name: 'max_upload_bytes', type: 'bigint', nullable: true, transformer: { to: (v: number | null | undefined) => v, from: (v: string | number | null) => (v == null ? null : Number(v)) } })
  maxUploadBytes: number | null;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;
}
