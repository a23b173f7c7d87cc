import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Application } from '../api-keys/application.entity.js';
import { InstantColumn } from '../database/columns.js';

/**
 * An application's OAuth client secret, as a keyed hash (`KeyRing.hmac('oauth-client-secret', …)`):
 * an application that has one is a confidential client (client_secret_basic); one without is a
 * public client. The secret is 256 random bits, shown once when issued.
 */
@Entity('oauth_client_secrets')
export class OAuthClientSecret {
  @PrimaryColumn({ name: 'application_id', type: 'varchar', length: 36 })
  applicationId: string;

  @OneToOne(() => Application, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'application_id' })
  application?: Application;

  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash: string;

  @Column({ type: 'varchar', length: 4 })
  last4: string;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;
}
