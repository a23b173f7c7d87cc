import { Column, Entity, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

/**
 * An account's TOTP authenticator (contract §4.9): one per account. Pending until a code from it
 * confirms it (`confirmedAt`); only a confirmed one is a second factor.
 */
@Entity('totp_enrolments')
export class TotpEnrolment {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  /** The base32 secret in the secret box (src/crypto): never stored in plain text. */
  @Column({ name: 'secret_box', type: 'text' })
  secretBox: string;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'confirmed_at', nullable: true })
  confirmedAt: Date | null;

  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;
}
