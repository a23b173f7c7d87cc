import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AddressRangesColumn, InstantColumn } from '../database/columns.js';
import { Application } from './application.entity.js';

export type ApiKeyStatus = 'active' | 'retired';

/**
 * An application's API key, stored as a keyed hash only: `KeyRing.hmac('api-key', key)`. The key
 * is 128 random bits, so a fast keyed hash is as good as argon2 against guessing and costs
 * microseconds on every request instead of milliseconds; without SECRET_KEY a leaked table is useless.
 */
@Entity('api_keys')
@Index(['applicationId', 'status'])
// At most one active key per application, kept by the database: two concurrent issues or
// rotations cannot both leave a live key behind.
@Index('UQ_api_keys_one_active', ['applicationId'], { unique: true, where: "status = 'active'" })
export class ApiKey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'application_id', type: 'varchar', length: 36 })
  applicationId: string;

  @ManyToOne(() => Application, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: Application;

  /** Hex HMAC-SHA256 of the key; the one column the hot path looks a key up by. */
  @Column({ type: 'varchar', length: 64, unique: true })
  hash: string;

  /** The key's last four digits, to tell keys apart in listings. */
  @Column({ type: 'varchar', length: 4 })
  last4: string;

  @Column({ type: 'varchar', length: 16 })
  status: ApiKeyStatus;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'retired_at', nullable: true })
  retiredAt: Date | null;

  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;

  /** Set by the developer: after this instant the key is refused (`credential_expired`, contract §4.7); null: no expiry. */
  @InstantColumn({ name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  /** Set by the developer: normalised CIDR ranges the key may be used from; null: any address. */
  @AddressRangesColumn({ name: 'allowed_ranges' })
  allowedRanges: string[] | null;
}
