import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * Passkeys (issue 21): an account's WebAuthn credentials, used as a second factor and as a first
 * factor. The credential id is unique across accounts: a sign-in with a discoverable credential
 * finds its account by it. Deleting an account deletes its passkeys.
 */
export class Passkeys1796700000000 implements MigrationInterface {
  name = 'Passkeys1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'passkeys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'credential_id', type: 'varchar', length: '1400', isUnique: true },
          { name: 'public_key', type: 'text' },
          { name: 'counter', type: 'bigint' },
          { name: 'transports', type: 'varchar', length: '200', default: "''" },
          { name: 'device_type', type: 'varchar', length: '16' },
          { name: 'backed_up', type: 'boolean' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
        indices: [new TableIndex({ columnNames: ['account_id'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('passkeys');
  }
}
