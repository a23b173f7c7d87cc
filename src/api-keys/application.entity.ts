import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { InstantColumn } from '../database/columns.js';
import type { ApplicationStatus } from './core/application-lifecycle.js';

/** A third-party application registered by a developer account and reviewed by an operator (contract §4.3). */
@Entity('applications')
@Index(['ownerAccountId'])
@Index(['status', 'createdAt'])
export class Application {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The developer account; deleting it deletes its applications and their keys. */
  @Column({ name: 'owner_account_id', type: 'varchar', length: 36 })
  ownerAccountId: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_account_id' })
  owner?: Account;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 2000 })
  description: string;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  homepage: string | null;

  /** OAuth redirect URIs (validated by core/redirect-uri.ts). */
  @Column({ name: 'redirect_uris', type: 'simple-json' })
  redirectUris: string[];

  @Column({ type: 'varchar', length: 16 })
  status: ApplicationStatus;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'reviewed_at', nullable: true })
  reviewedAt: Date | null;

  /** The operator's login at the last review action (approve, reject, revoke). */
  @Column({ name: 'reviewed_by', type: 'varchar', length: 100, nullable: true })
  reviewedBy: string | null;
}
