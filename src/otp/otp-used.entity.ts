import { Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

/**
 * OTPs already accepted, where no Redis is configured: the primary key makes a second insert of
 * the same token fail on every instance sharing the database. Rows are pruned after EXPIRE.
 */
@Entity('otp_used')
export class OtpUsed {
  /** sha256 of the canonical token (otpReplayKey). */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Index()
  @InstantColumn({ name: 'expires_at' })
  expiresAt: Date;
}
