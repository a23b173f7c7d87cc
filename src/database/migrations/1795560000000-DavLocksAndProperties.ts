import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * WebDAV locks and dead properties (contract §7), in the database so that every instance sees them.
 * Table API, so it runs on SQLite and PostgreSQL; instants are BIGINT epoch milliseconds. Paths
 * and property names are TEXT (no length a client could hit) and are found through sha256
 * columns, since a PostgreSQL B-tree entry cannot hold a 4 KiB path. Deleting an account
 * deletes its locks and properties.
 */
export class DavLocksAndProperties1795560000000 implements MigrationInterface {
  name = 'DavLocksAndProperties1795560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'dav_locks',
        columns: [
          { name: 'token', type: 'varchar', length: '100', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'area', type: 'varchar', length: '16' },
          { name: 'root', type: 'text' },
          { name: 'depth', type: 'varchar', length: '8' },
          { name: 'scope', type: 'varchar', length: '16' },
          { name: 'owner_xml', type: 'text', isNullable: true },
          { name: 'principal', type: 'varchar', length: '65' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
        indices: [new TableIndex({ columnNames: ['account_id', 'area'] }), new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'dav_properties',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'area', type: 'varchar', length: '16' },
          { name: 'path', type: 'text' },
          { name: 'path_hash', type: 'varchar', length: '64' },
          { name: 'parent_hash', type: 'varchar', length: '64' },
          { name: 'ns', type: 'text' },
          { name: 'local_name', type: 'text' },
          { name: 'value_xml', type: 'text' },
          { name: 'lang', type: 'text', isNullable: true },
          { name: 'updated_at', type: 'bigint' },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
        indices: [
          new TableIndex({ columnNames: ['account_id', 'area', 'path_hash'] }),
          new TableIndex({ columnNames: ['account_id', 'area', 'parent_hash'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['dav_properties', 'dav_locks']) await q.dropTable(t);
  }
}
