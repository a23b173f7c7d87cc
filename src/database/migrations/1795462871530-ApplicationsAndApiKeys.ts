import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * Applications, their API keys, and customers' per-application blocks and recorded uses
 * (contract §4.3). Table API, so it runs on SQLite and PostgreSQL; instants are BIGINT epoch ms.
 * Deleting an account deletes the applications it registered (and their keys), and its blocks
 * and uses; deleting an application deletes its keys, blocks and uses.
 */
export class ApplicationsAndApiKeys1795462871530 implements MigrationInterface {
  name = 'ApplicationsAndApiKeys1795462871530';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'applications',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'owner_account_id', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'description', type: 'varchar', length: '2000' },
          { name: 'homepage', type: 'varchar', length: '2000', isNullable: true },
          { name: 'redirect_uris', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'created_at', type: 'bigint' },
          { name: 'reviewed_at', type: 'bigint', isNullable: true },
          { name: 'reviewed_by', type: 'varchar', length: '100', isNullable: true },
        ],
        foreignKeys: [cascadeTo('accounts', 'owner_account_id')],
        indices: [new TableIndex({ columnNames: ['owner_account_id'] }), new TableIndex({ columnNames: ['status', 'created_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'application_id', type: 'varchar', length: '36' },
          // Unique: the hot path's one indexed read on a cache miss.
          { name: 'hash', type: 'varchar', length: '64', isUnique: true },
          { name: 'last4', type: 'varchar', length: '4' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'created_at', type: 'bigint' },
          { name: 'retired_at', type: 'bigint', isNullable: true },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'last_used_ip', type: 'varchar', length: '64', isNullable: true },
        ],
        foreignKeys: [cascadeTo('applications', 'application_id')],
        indices: [
          new TableIndex({ columnNames: ['application_id', 'status'] }),
          // At most one active key per application (a partial index: SQLite and PostgreSQL both have them).
          new TableIndex({ name: 'UQ_api_keys_one_active', columnNames: ['application_id'], isUnique: true, where: "status = 'active'" }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'api_key_blocks',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'application_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'created_at', type: 'bigint' },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id'), cascadeTo('applications', 'application_id')],
        // The key cache loads an application's blocks together with its key.
        indices: [new TableIndex({ columnNames: ['application_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'api_key_uses',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'application_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'first_used_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint' },
          { name: 'last_used_ip', type: 'varchar', length: '64', isNullable: true },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id'), cascadeTo('applications', 'application_id')],
        indices: [new TableIndex({ columnNames: ['application_id'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['api_key_uses', 'api_key_blocks', 'api_keys', 'applications']) await q.dropTable(t);
  }
}
