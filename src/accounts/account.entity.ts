import { Column, Entity, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../database/columns.js';

export type AccountRole = 'user' | 'admin';
export type AccountStatus = 'active' | 'suspended';

/** A customer (full access to its own resources) or an operator (`role = admin`). contract §3. */
@Entity('accounts')
export class Account {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 32, unique: true })
  login: string;

  @Column({ type: 'varchar', length: 254 })
  email: string;

  /** argon2id of the login password. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  /**
   * Secret-box copy of the login password, kept only while the app connection is `legacy`
   * (Basic and OTP accept the login password then, and OTP must recompute a MAC with it).
   */
  @Column({ name: 'password_box', type: 'text', nullable: true })
  passwordBox: string | null;

  @Column({ type: 'varchar', length: 16 })
  role: AccountRole;

  @Column({ type: 'varchar', length: 16 })
  status: AccountStatus;

  @InstantColumn({ name: 'registered_at' })
  registeredAt: Date;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'updated_at' })
  updatedAt: Date;
}
