import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AddressRangesColumn, InstantColumn } from '../database/columns.js';
import { Account } from './account.entity.js';

/**
 * One of an account's app passwords (contract §4.2): the Basic/OTP secret of one device or
 * program, optionally limited by an expiry, address ranges and a rule set. Revoking deletes the row.
 */
@Entity('app_passwords')
@Index(['accountId', 'name'], { unique: true })
export class AppPassword {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  /**
   * HMAC-SHA256 of the password under the server key (KeyRing purpose `app-password`), hex: Basic
   * finds the row in one indexed query, then still verifies the argon2id hash. Null only for a
   * password moved here by the migration (the key is not at hand there); filled at its first use.
   */
  @Column({ type: 'varchar', length: 64, nullable: true, unique: true })
  lookup: string | null;

  /** argon2id of the password. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  /** Secret-box copy of the password: OTP recomputes its MAC with it (contract §4.5). */
  @Column({ name: 'password_box', type: 'text' })
  passwordBox: string;

  @InstantColumn({ name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  /** Normalised CIDR ranges (normalizeAddressRanges); null: any address. */
  @AddressRangesColumn({ name: 'allowed_ranges' })
  allowedRanges: string[] | null;

  /** JSON array of `{path, effect}` rules in the sublogin syntax, canonical; null: the account's full rights. */
  @Column({ type: 'text', nullable: true })
  rules: string | null;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;
}
