import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { InstantColumn } from '../database/columns.js';
import { Application } from './application.entity.js';

/**
 * A customer's refusal of one application for their own account (and its sublogins): that app's
 * keys answer `api_key_blocked` for them, and keep working for everyone else (contract §4.3).
 */
@Entity('api_key_blocks')
@Index(['applicationId'])
export class ApiKeyBlock {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @PrimaryColumn({ name: 'application_id', type: 'varchar', length: 36 })
  applicationId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;

  @ManyToOne(() => Application, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: Application;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;
}
