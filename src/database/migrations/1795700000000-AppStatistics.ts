import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Hourly statistics per application (contract §7): the requests and bytes a customer's requests
 * through an application (API key, OAuth client) came to. Keyed like the other hourly tables,
 * customer and hour first, which is how the report reads them and the upsert-add's conflict
 * target. No foreign key to `applications`: the counts stay when an application is deleted.
 */
export class AppStatistics1795700000000 implements MigrationInterface {
  name = 'AppStatistics1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'app_hours',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'hour', type: 'bigint', isPrimary: true },
          { name: 'application_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'requests', type: 'bigint' },
          { name: 'bytes_in', type: 'bigint' },
          { name: 'bytes_out', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('app_hours');
  }
}
