import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * Sublogins and their ACL rules (contract §3, §6). Table API, so it runs on SQLite and PostgreSQL;
 * instants are BIGINT epoch milliseconds. Deleting an account deletes its sublogins, and
 * deleting a sublogin its rules.
 */
export class SubloginsAndAcl1795361011920 implements MigrationInterface {
  name = 'SubloginsAndAcl1795361011920';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'sublogins',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '32' },
          { name: 'login', type: 'varchar', length: '65', isUnique: true },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'password_box', type: 'text' },
          { name: 'enabled', type: 'boolean' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'last_used_ip', type: 'varchar', length: '64', isNullable: true },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
        indices: [new TableIndex({ columnNames: ['account_id', 'name'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'acl_rules',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'sublogin_id', type: 'varchar', length: '36' },
          { name: 'position', type: 'integer' },
          // No index on path: rule paths may be 1024 characters, more than a PostgreSQL
          // B-tree entry holds; rules are always read per sublogin.
          { name: 'path', type: 'varchar', length: '1024' },
          { name: 'effect', type: 'varchar', length: '8' },
        ],
        foreignKeys: [cascadeTo('sublogins', 'sublogin_id')],
        indices: [new TableIndex({ columnNames: ['sublogin_id', 'position'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['acl_rules', 'sublogins']) await q.dropTable(t);
  }
}
