import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from '../../database/columns.js';

/** Single-device (bound to one authenticator) or multi-device (synced, e.g. by a password manager). */
export type PasskeyDeviceType = 'singleDevice' | 'multiDevice';

/**
 * A WebAuthn credential (passkey) of an account (contract §4.9). Only the public key is kept:
 * a leaked table lets nobody sign in. Byte fields are stored as base64url text, the same on
 * SQLite and PostgreSQL.
 */
@Entity('passkeys')
export class Passkey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index()
  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId: string;

  /** The credential id the authenticator chose (≤ 1023 bytes), base64url; unique across accounts. */
  @Column({ name: 'credential_id', type: 'varchar', length: 1400, unique: true })
  credentialId: string;

  /** The COSE public key, base64url. */
  @Column({ name: 'public_key', type: 'text' })
  publicKey: string;

  /** The authenticator's signature counter as last seen (0 for authenticators that keep none). */
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  counter: number;

  /** The transports the browser reported (usb, nfc, ble, internal, hybrid…), comma-separated. */
  @Column({ type: 'varchar', length: 200, default: '' })
  transports: string;

  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType: PasskeyDeviceType;

  @Column({ name: 'backed_up', type: 'boolean' })
  backedUp: boolean;

  /** The owner's name for it, 1–64 characters. */
  @Column({ type: 'varchar', length: 64 })
  name: string;

  @InstantColumn({ name: 'created_at' })
  createdAt: Date;

  @InstantColumn({ name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;
}
