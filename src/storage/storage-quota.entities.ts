import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** BIGINT as a number (pg hands BIGINT back as a string); NULL stays NULL. */
const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value == null ? null : Number(value)),
};

/**
 * An account's own storage quota (operator API, operator pages). No row: the configured
 * default (STORAGE_QUOTA_BYTES) applies; `quotaBytes` null: unlimited whatever the default.
 */
@Entity('account_quotas')
export class AccountQuotaRow {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @Column({ name: 'quota_bytes', type: 'bigint', nullable: true, transformer: bigintNumber })
  quotaBytes: number | null;

  /** Epoch ms. */
  @Column({ name: 'updated_at', type: 'bigint', transformer: bigintNumber })
  updatedAt: number;
}

/**
 * Bytes an account stores (both areas), measured by walking its storage and adjusted by every
 * change since (StorageQuotaService). A cache: deleting the row only makes the next check walk.
 */
@Entity('storage_usage')
export class StorageUsageRow {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  bytes: number;

  /** Epoch ms of the walk the figure comes from. */
  @Column({ name: 'measured_at', type: 'bigint', transformer: bigintNumber })
  measuredAt: number;
}
