import { Entity, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

/**
 * OTPs already accepted: a second insert of the same token fails on every instance sharing the
 * database. Keyed by expiry first (a token's expiry is a function of the token, so the pair is as
 * unique as the hash) so that claims and pruning touch the ends of one B-tree, not random pages
 * of an index (migration OtpClaimsByExpiry); tokens of one expiry second still fall among each
 * other by hash (bench/README.md). Rows are pruned after `expiresAt`.
 */
@Entity('otp_used', { withoutRowid: true })
export class OtpUsed {
  /** The first instant the token is no longer valid: its EXPIRE second's end. */
  @InstantColumn({ name: 'expires_at', primary: true })
  expiresAt: Date;

  /** sha256 of the canonical token (otpReplayKey). */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;
}
