import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * Storage quotas (issue 16): an account's own quota, and the bytes it stores (main and backup
 * areas together) as last measured and adjusted since. Two tables rather than columns on
 * `accounts`: no rebuild of that table on SQLite, and an account's quota has three states
 * without a sentinel value — no row (STORAGE_QUOTA_BYTES applies), a row with NULL (unlimited),
 * a row with a number. `storage_usage` is a cache that can always be rebuilt by walking the
 * account's storage. Deleting an account deletes both.
 */
export class StorageQuotas1796200000000 implements MigrationInterface {
  name = 'StorageQuotas1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'account_quotas',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'quota_bytes', type: 'bigint', isNullable: true },
          { name: 'updated_at', type: 'bigint' },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'storage_usage',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'bytes', type: 'bigint' },
          { name: 'measured_at', type: 'bigint' },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['storage_usage', 'account_quotas']) await q.dropTable(t);
  }
}
