import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Sublogin } from '../accounts/sublogin.entity.js';
import { Application } from '../api-keys/application.entity.js';
import { InstantColumn } from '../database/columns.js';

/**
 * Everything oidc-provider persists (contract §4.4): access and refresh tokens, authorization and
 * device codes, grants, interactions, sessions. One table keyed by (model, sha256 of the id):
 * a token's value is its id and is never stored — the database cannot hand out live tokens.
 * The payload is sealed with the secret box (some carry session cookies). What is looked up or
 * cascaded on has real, indexed columns; the rest stays inside the payload.
 */
@Entity('oauth_artifacts')
// Partial: a row enters only the indexes whose column it sets (migration OAuthPartialIndexes).
@Index(['grantId'], { where: 'grant_id IS NOT NULL' })
@Index(['model', 'userCode'], { where: 'user_code IS NOT NULL' })
@Index(['model', 'uid'], { where: 'uid IS NOT NULL' })
@Index(['accountId', 'model'], { where: 'account_id IS NOT NULL' })
@Index(['expiresAt'], { where: 'expires_at IS NOT NULL' })
@Index(['clientId'], { where: 'client_id IS NOT NULL' })
@Index(['subloginId'], { where: 'sublogin_id IS NOT NULL' })
export class OAuthArtifact {
  /** oidc-provider's model name: AccessToken, RefreshToken, Grant, Session, … */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  model: string;

  /** Hex sha256 of the artifact's id (for tokens and codes: of the value the client holds). */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  /** The grant a token or code belongs to; on a Grant row, its own id. */
  @Column({ name: 'grant_id', type: 'varchar', length: 64, nullable: true })
  grantId: string | null;

  @Column({ name: 'user_code', type: 'varchar', length: 64, nullable: true })
  userCode: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  uid: string | null;

  /** The OAuth client: an application's id. Deleting the application deletes its artifacts. */
  @Column({ name: 'client_id', type: 'varchar', length: 36, nullable: true })
  clientId: string | null;

  @ManyToOne(() => Application, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id' })
  application?: Application;

  /** The customer the subject acts for (see core/subject.ts). */
  @Column({ name: 'account_id', type: 'varchar', length: 36, nullable: true })
  accountId: string | null;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;

  /** Set when a sublogin is the subject; deleting it deletes its tokens. */
  @Column({ name: 'sublogin_id', type: 'varchar', length: 36, nullable: true })
  subloginId: string | null;

  @ManyToOne(() => Sublogin, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sublogin_id' })
  sublogin?: Sublogin;

  /** Secret-box sealed JSON. */
  @Column({ type: 'text' })
  payload: string;

  @InstantColumn({ name: 'consumed_at', nullable: true })
  consumedAt: Date | null;

  @InstantColumn({ name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  /** Grants only: when and from where one of its tokens was last used (at most once a minute). */
  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'last_used_ip', type: 'varchar', length: 64, nullable: true })
  lastUsedIp: string | null;
}
