import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CredentialLimits } from '../common/credential-limits.js';
import { Account } from './account.entity.js';
import { AddressRangesColumn, InstantColumn } from '../database/columns.js';

/** `^[a-z0-9][a-z0-9_.]{0,31}$`: the part after `customer-` in a sublogin's login (contract §3). */
export const SUBLOGIN_NAME_PATTERN = /^[a-z0-9][a-z0-9_.]{0,31}$/;

/** A sublogin's login: the customer's login, `-`, the name. Account logins have no `-`, so the two never collide. */
export function subloginLogin(customerLogin: string, name: string): string {
  return `${customerLogin}-${name}`;
}

/**
 * A limited identity acting on its customer's resources, only as far as its ACL rules allow
 * (contract §3, §6). Authenticates with its own password (Basic, OTP) while enabled.
 */
@Entity('sublogins')
@Index(['accountId', 'name'], { unique: true })
export class Sublogin {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The customer whose resources the sublogin acts on. */
  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;

  @Column({ type: 'varchar', length: 32 })
  name: string;

  /** `customer-name`, what the sublogin types as its user name. */
  @Column({ type: 'varchar', length: 65, unique: true })
  login: string;

  /** argon2id of the sublogin's password. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  /** Secret-box copy of the password: OTP recomputes its MAC with the plain password (contract §4.5). */
  @Column({ name: 'password_box', type: 'text' })
  passwordBox: string;

  @Column({ type: 'boolean' })
  enabled: boolean;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt: Date;

  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;

  /** After this instant the sublogin is refused (`credential_expired`, contract §4.7); null: no expiry. */
  @InstantColumn({ name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  /** Normalised CIDR ranges it may be used from (`address_not_allowed` elsewhere); null: any address. */
  @AddressRangesColumn({ name: 'allowed_ranges' })
  allowedRanges: string[] | null;
}

/** A sublogin's limits as the access pipeline checks them; undefined when it has none. */
export function subloginLimits(s: Pick<Sublogin, 'expiresAt' | 'allowedRanges'>): CredentialLimits[] | undefined {
  if (s.expiresAt === null && !s.allowedRanges?.length) return undefined;
  return [{ expiresAt: s.expiresAt?.getTime() ?? null, allowedRanges: s.allowedRanges?.length ? s.allowedRanges : null }];
}
