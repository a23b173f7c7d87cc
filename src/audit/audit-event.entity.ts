import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

export type AuditOutcome = 'success' | 'failure' | 'info';

/** One line of the audit log (contract §8). Never holds a secret: no passwords, tokens, keys or OTPs. */
@Entity('audit_events')
@Index(['at'])
@Index(['login', 'at'])
@Index(['accountId', 'at'])
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @InstantColumn()
  at: Date;

  /** What happened, e.g. `auth.login`, `auth.basic`, `admin.account.create`. */
  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  /** The login the event is about (as given, for failures), or the actor's. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  login: string | null;

  /** The account the event belongs to, so its owner can see it. */
  @Column({ name: 'account_id', type: 'varchar', length: 36, nullable: true })
  accountId: string | null;

  /** Who did it, when someone else than `login` (an operator). */
  @Column({ type: 'varchar', length: 100, nullable: true })
  actor: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  code: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 256, nullable: true })
  userAgent: string | null;

  @Column({ type: 'simple-json', nullable: true })
  detail: Record<string, unknown> | null;
}
