import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

/** One of an account's ten one-time recovery codes (contract §4.9), stored as its sha256 only. */
@Entity('recovery_codes')
@Index(['accountId', 'codeHash'], { unique: true })
export class RecoveryCode {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  /** sha256 hex of the normalised code: 80 random bits, so a fast hash suffices. */
  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  /** Set when used: a code works once. */
  @InstantColumn({ name: 'used_at', nullable: true })
  usedAt: Date | null;
}
