import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * Two-factor sign-in (issue 21): an account's TOTP authenticator (its secret sealed in the secret
 * box), its one-time recovery codes (sha256 only), and on each session the factors it was signed
 * in with, when it last had a second factor, and whether it still waits for one (or for enrolment).
 */
export class TwoFactor1796600000000 implements MigrationInterface {
  name = 'TwoFactor1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'totp_enrolments',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'secret_box', type: 'text' },
          { name: 'created_at', type: 'bigint' },
          { name: 'confirmed_at', type: 'bigint', isNullable: true },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
        indices: [new TableIndex({ columnNames: ['account_id', 'code_hash'], isUnique: true })],
      }),
    );
    // Existing sessions were signed in with the password alone.
    await q.addColumns('sessions', [
      new TableColumn({ name: 'factors', type: 'varchar', length: '64', default: "'password'" }),
      new TableColumn({ name: 'second_factor_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'pending', type: 'varchar', length: '16', isNullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['pending', 'second_factor_at', 'factors']) await q.dropColumn('sessions', c);
    for (const t of ['recovery_codes', 'totp_enrolments']) await q.dropTable(t);
  }
}
