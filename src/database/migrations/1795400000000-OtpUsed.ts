import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

export class OtpUsed1795400000000 implements MigrationInterface {
  name = 'OtpUsed1795400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'otp_used',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [new TableIndex({ columnNames: ['expires_at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('otp_used');
  }
}
