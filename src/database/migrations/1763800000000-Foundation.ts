import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Written with TypeORM's schema builder rather than raw SQL, so the same migration runs on
 * SQLite and PostgreSQL. Instants are BIGINT epoch milliseconds (see database/columns.ts).
 */
export class Foundation1763800000000 implements MigrationInterface {
  name = 'Foundation1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'accounts',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'login', type: 'varchar', length: '32', isUnique: true },
          { name: 'email', type: 'varchar', length: '254' },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'password_box', type: 'text', isNullable: true },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'registered_at', type: 'bigint' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'app_connections',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'password_hash', type: 'varchar', length: '255', isNullable: true },
          { name: 'password_box', type: 'text', isNullable: true },
          { name: 'issued_at', type: 'bigint', isNullable: true },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'last_used_ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'updated_at', type: 'bigint' },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '256', isNullable: true },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
        indices: [new TableIndex({ columnNames: ['account_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'at', type: 'bigint' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'outcome', type: 'varchar', length: '16' },
          { name: 'login', type: 'varchar', length: '100', isNullable: true },
          { name: 'account_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'actor', type: 'varchar', length: '100', isNullable: true },
          { name: 'code', type: 'varchar', length: '64', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '256', isNullable: true },
          { name: 'detail', type: 'text', isNullable: true },
        ],
        indices: [
          new TableIndex({ columnNames: ['at'] }),
          new TableIndex({ columnNames: ['login', 'at'] }),
          new TableIndex({ columnNames: ['account_id', 'at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_events', 'sessions', 'app_connections', 'accounts']) await q.dropTable(t);
  }
}

export function cascadeTo(table: string, column: string): TableForeignKey {
  return new TableForeignKey({ columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete: 'CASCADE' });
}
