import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { InstantColumn } from '../database/columns.js';
import { Application } from './application.entity.js';

/**
 * That an application's key was used with a customer's credentials, and when last: what MyPage
 * lists under "applications that used your account" (`GET /api/me/apps`), so the customer can
 * see and block them. Written at most once a minute per (account, application) and instance.
 */
@Entity('api_key_uses')
@Index(['applicationId'])
export class ApiKeyUse {
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

  @InstantColumn({ name: 'first_used_at' })
  firstUsedAt: Date;

  @InstantColumn({ name: 'last_used_at' })
  lastUsedAt: Date;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;
}
