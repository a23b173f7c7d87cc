import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * Several named app passwords per account (issue 20, contract §4.2). The one password an issued
 * app connection held moves into a row named "app password" (its id is the account's, which is
 * unique here as there was one per account) and keeps working: same argon2id hash, same secret box
 * for OTP. Its `lookup` HMAC needs SECRET_KEY, which a migration does not have, so it stays null
 * and Basic fills it in at the password's first use. The connection keeps only its state.
 */
export class AppPasswords1796300000000 implements MigrationInterface {
  name = 'AppPasswords1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'app_passwords',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'lookup', type: 'varchar', length: '64', isNullable: true },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'password_box', type: 'text' },
          { name: 'expires_at', type: 'bigint', isNullable: true },
          { name: 'allowed_ranges', type: 'text', isNullable: true },
          { name: 'rules', type: 'text', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'last_used_ip', type: 'varchar', length: '64', isNullable: true },
        ],
        indices: [new TableIndex({ columnNames: ['account_id', 'name'], isUnique: true }), new TableIndex({ columnNames: ['lookup'], isUnique: true })],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
      }),
    );
    await q.query(
      `INSERT INTO app_passwords (id, account_id, name, lookup, password_hash, password_box, expires_at, allowed_ranges, rules, created_at, last_used_at, last_used_ip)
       SELECT account_id, account_id, 'app password', NULL, password_hash, password_box, NULL, NULL, NULL, COALESCE(issued_at, updated_at), last_used_at, last_used_ip
       FROM app_connections WHERE state = 'issued' AND password_hash IS NOT NULL AND password_box IS NOT NULL`,
    );
    await q.dropColumn('app_connections', 'password_box');
    await q.dropColumn('app_connections', 'password_hash');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.addColumn('app_connections', new TableColumn({ name: 'password_hash', type: 'varchar', length: '255', isNullable: true }));
    await q.addColumn('app_connections', new TableColumn({ name: 'password_box', type: 'text', isNullable: true }));
    // One password per connection before: the newest app password of each issued connection.
    for (const column of ['password_hash', 'password_box']) {
      await q.query(
        `UPDATE app_connections SET ${column} = (SELECT p.${column} FROM app_passwords p WHERE p.account_id = app_connections.account_id ORDER BY p.created_at DESC, p.id LIMIT 1) WHERE state = 'issued'`,
      );
    }
    await q.dropTable('app_passwords');
  }
}
