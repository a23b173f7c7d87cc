import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * The OAuth 2 authorization server's storage (contract §4.4): oidc-provider's artifacts in one
 * table keyed by (model, sha256 of the id), and confidential clients' secret hashes. Table API,
 * so it runs on SQLite and PostgreSQL; instants are BIGINT epoch ms. Deleting an application,
 * an account or a sublogin deletes its tokens and grants.
 */
export class OAuth1795600000000 implements MigrationInterface {
  name = 'OAuth1795600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'oauth_artifacts',
        columns: [
          { name: 'model', type: 'varchar', length: '40', isPrimary: true },
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'grant_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_code', type: 'varchar', length: '64', isNullable: true },
          { name: 'uid', type: 'varchar', length: '64', isNullable: true },
          { name: 'client_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'account_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'sublogin_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'payload', type: 'text' },
          { name: 'consumed_at', type: 'bigint', isNullable: true },
          { name: 'expires_at', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'last_used_ip', type: 'varchar', length: '64', isNullable: true },
        ],
        foreignKeys: [cascadeTo('applications', 'client_id'), cascadeTo('accounts', 'account_id'), cascadeTo('sublogins', 'sublogin_id')],
        indices: [
          // revokeByGrantId, and the Bearer check's join to its grant.
          new TableIndex({ columnNames: ['grant_id'] }),
          new TableIndex({ columnNames: ['model', 'user_code'] }),
          new TableIndex({ columnNames: ['model', 'uid'] }),
          // "Connected apps": an account's grants.
          new TableIndex({ columnNames: ['account_id', 'model'] }),
          // The prune job.
          new TableIndex({ columnNames: ['expires_at'] }),
          // Cascades from applications and sublogins.
          new TableIndex({ columnNames: ['client_id'] }),
          new TableIndex({ columnNames: ['sublogin_id'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'oauth_client_secrets',
        columns: [
          { name: 'application_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'secret_hash', type: 'varchar', length: '64' },
          { name: 'last4', type: 'varchar', length: '4' },
          { name: 'created_at', type: 'bigint' },
        ],
        foreignKeys: [cascadeTo('applications', 'application_id')],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('oauth_client_secrets');
    await q.dropTable('oauth_artifacts');
  }
}
