import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';
import type { PendingStage, SessionFactor } from '../two-factor/factors.js';

const factorList = {
  to: (v: readonly SessionFactor[] | undefined) => (v === undefined ? v : v.join(',')),
  from: (v: string | null) => (v ? (v.split(',') as SessionFactor[]) : []),
};

/** A first-party web session (contract §4.6). The cookie holds a random token; only its hash is stored. */
@Entity('sessions')
export class Session {
  /** sha256 hex of the cookie token. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Index()
  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'expires_at' })
  expiresAt: Date;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 256, nullable: true })
  userAgent: string | null;

  /** The factors given in this session, in order (contract §4.9). */
  @Column({ type: 'varchar', length: 64, transformer: factorList, default: 'password' })
  factors: SessionFactor[];

  /** When a second factor was last given in this session; sensitive actions need it recent. */
  @InstantColumn({ name: 'second_factor_at', nullable: true })
  secondFactorAt: Date | null;

  /** Still waiting for a second factor or for enrolment: only those routes take the session. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  pending: PendingStage | null;
}
