import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Hourly statistics (contract §7): request traffic and authentication outcomes. The composite
 * primary key starts with the customer and the hour, which is how every report reads them, and
 * is the conflict target of the upsert-add that flushes counts. No foreign key: rows without a
 * customer are keyed '' (see stats.entities.ts).
 */
export class Statistics1795361394811 implements MigrationInterface {
  name = 'Statistics1795361394811';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'traffic_hours',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'hour', type: 'bigint', isPrimary: true },
          { name: 'sublogin', type: 'varchar', length: '80', isPrimary: true },
          { name: 'area', type: 'varchar', length: '16', isPrimary: true },
          { name: 'method', type: 'varchar', length: '16', isPrimary: true },
          { name: 'status', type: 'integer', isPrimary: true },
          { name: 'requests', type: 'bigint' },
          { name: 'bytes_in', type: 'bigint' },
          { name: 'bytes_out', type: 'bigint' },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_hours',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'hour', type: 'bigint', isPrimary: true },
          { name: 'method', type: 'varchar', length: '16', isPrimary: true },
          { name: 'outcome', type: 'varchar', length: '64', isPrimary: true },
          { name: 'count', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('auth_hours');
    await q.dropTable('traffic_hours');
  }
}
