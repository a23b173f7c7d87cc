import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';
import { Account } from './account.entity.js';
import type { AppConnectionState } from './core/app-connection.js';

/** An account's external application connection (contract §4.2): whether Basic takes the login password, none, or its app passwords. */
@Entity('app_connections')
export class AppConnection {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @OneToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;

  @Column({ type: 'varchar', length: 16 })
  state: AppConnectionState;

  /** When the connection last issued a password (enable, reissue); its passwords are app_passwords rows. */
  @InstantColumn({ name: 'issued_at', nullable: true })
  issuedAt: Date | null;

  /** Last Basic/OTP use of the login password while `legacy` (app passwords record their own). */
  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;

  @InstantColumn({ name: 'updated_at' })
  updatedAt: Date;
}
