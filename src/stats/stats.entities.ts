import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** BIGINT counters and epoch-ms hours as numbers (pg hands BIGINT back as a string). */
const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value == null ? null : Number(value)),
};

/**
 * Request traffic of one hour (contract §7 "Statistics"), one row per (customer, hour, sublogin,
 * area, method, status). Rows are only ever added to (upsert-add), never rewritten, so several
 * instances flushing the same hour all count. '' stands for "none" in key columns: NULLs would
 * never conflict, so the upsert could not find the row to add to.
 */
@Entity('traffic_hours')
export class TrafficHour {
  /** The customer; '' for requests without one (anonymous, failed authentication). */
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  /** Start of the UTC hour, epoch ms. */
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  hour: number;

  /** The sublogin's login; '' for the customer itself or none. */
  @PrimaryColumn({ type: 'varchar', length: 80 })
  sublogin: string;

  /** file, stat, sublogin, dav, backup or other. */
  @PrimaryColumn({ type: 'varchar', length: 16 })
  area: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  method: string;

  @PrimaryColumn({ type: 'integer' })
  status: number;

  @Column({ type: 'bigint', transformer: bigintNumber })
  requests: number;

  /** Bytes received: request line, headers and body. */
  @Column({ name: 'bytes_in', type: 'bigint', transformer: bigintNumber })
  bytesIn: number;

  /** Bytes sent: status line, headers and body. */
  @Column({ name: 'bytes_out', type: 'bigint', transformer: bigintNumber })
  bytesOut: number;
}

/** Authentication outcomes of one hour, per customer, credential method and outcome. */
@Entity('auth_hours')
export class AuthHour {
  /** The customer the credential belongs to; '' when it names no known account. */
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  hour: number;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  method: string;

  /** 'success', or the error code of the failure (invalid_credentials, otp_replayed, ...). */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  outcome: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  count: number;
}

/**
 * Requests a customer made through an application (an API key, or an OAuth client's token) in
 * one hour. Only requests with both a customer and an application are counted here; no foreign
 * key either, so the counts outlive a deleted application (the report names it null).
 */
@Entity('app_hours')
export class AppHour {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  /** Start of the UTC hour, epoch ms. */
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  hour: number;

  @PrimaryColumn({ name: 'application_id', type: 'varchar', length: 36 })
  applicationId: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  requests: number;

  /** Bytes received: request line, headers and body. */
  @Column({ name: 'bytes_in', type: 'bigint', transformer: bigintNumber })
  bytesIn: number;

  /** Bytes sent: status line, headers and body. */
  @Column({ name: 'bytes_out', type: 'bigint', transformer: bigintNumber })
  bytesOut: number;
}
