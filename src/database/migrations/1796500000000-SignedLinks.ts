import { type MigrationInterface, type QueryRunner, Table, TableForeignKey } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * Signed links (issue 20, contract §4.8): one row per link, holding what its MAC covers (the
 * token itself is never stored), its use count and last use. Deleting the account or the
 * creating sublogin deletes its links. Instants are epoch milliseconds (BIGINT), as elsewhere.
 */
export class SignedLinks1796500000000 implements MigrationInterface {
  name = 'SignedLinks1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'signed_links',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'key_id', type: 'varchar', length: '8' },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'sublogin_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'application_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'method', type: 'varchar', length: '8' },
          { name: 'target', type: 'varchar', length: '8' },
          { name: 'path', type: 'text' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'allowed_ranges', type: 'text', isNullable: true },
          { name: 'max_uses', type: 'integer', isNullable: true },
          { name: 'uses', type: 'integer', default: 0 },
          { name: 'max_upload_bytes', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'revoked_at', type: 'bigint', isNullable: true },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'last_used_ip', type: 'varchar', length: '64', isNullable: true },
        ],
        foreignKeys: [
          cascadeTo('accounts', 'account_id'),
          new TableForeignKey({ columnNames: ['sublogin_id'], referencedTableName: 'sublogins', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        ],
        indices: [
          { columnNames: ['account_id', 'created_at'] },
          { columnNames: ['sublogin_id'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('signed_links');
  }
}
