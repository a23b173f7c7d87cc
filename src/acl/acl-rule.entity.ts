import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Sublogin } from '../accounts/sublogin.entity.js';
import type { AclEffect } from './core/acl-resolver.js';

/**
 * One stored ACL rule of a sublogin (contract §6). `path` is canonical (`canonicalizeRulePath`);
 * `position` keeps the order the customer wrote the set in, so reading it back shows it as written.
 */
@Entity('acl_rules')
@Index(['subloginId', 'position'])
export class AclRule {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'sublogin_id', type: 'varchar', length: 36 })
  subloginId: string;

  @ManyToOne(() => Sublogin, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sublogin_id' })
  sublogin?: Sublogin;

  @Column({ type: 'integer' })
  position: number;

  @Column({ type: 'varchar', length: 1024 })
  path: string;

  @Column({ type: 'varchar', length: 8 })
  effect: AclEffect;
}
