import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';
import { Account } from './account.entity.js';
import type { AppConnectionState } from './core/app-connection.js';

/** An account's external application connection (contract §4.2): which password Basic accepts. */
@Entity('app_connections')
export class AppConnection {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @OneToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;

  @Column({ type: 'varchar', length: 16 })
  state: AppConnectionState;

  /** argon2id of the issued password (state `issued`). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash: string | null;

  /** Secret-box copy of the issued password, for OTP verification. */
  @Column({ name: 'password_box', type: 'text', nullable: true })
  passwordBox: string | null;

  @InstantColumn({ name: 'issued_at', nullable: true })
  issuedAt: Date | null;

  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;

  @InstantColumn({ name: 'updated_at' })
  updatedAt: Date;
}
