import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credential limits (issue 20, contract §4.7): an optional expiry (epoch milliseconds) and allowed
 * address ranges (normalised CIDR, comma-separated) on sublogins and on API keys. Nullable
 * columns added in place — the same statement on SQLite and PostgreSQL, and no rebuild of the
 * `sublogins` table on SQLite (a rebuild would cascade into its rules).
 */
export class CredentialLimits1796400000000 implements MigrationInterface {
  name = 'CredentialLimits1796400000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['sublogins', 'api_keys']) {
      await q.query(`ALTER TABLE "${table}" ADD COLUMN "expires_at" bigint NULL`);
      await q.query(`ALTER TABLE "${table}" ADD COLUMN "allowed_ranges" text NULL`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['api_keys', 'sublogins']) {
      await q.query(`ALTER TABLE "${table}" DROP COLUMN "allowed_ranges"`);
      await q.query(`ALTER TABLE "${table}" DROP COLUMN "expires_at"`);
    }
  }
}
