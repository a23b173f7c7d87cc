import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * OTP claims keyed by (expires_at, token_hash), in SQLite without a rowid: by expiry first,
 * claims go in near the end of one B-tree and pruning takes pages off the front, where a key on
 * the hash alone sent each claim to a random leaf (a token's expiry is a function of the token,
 * so the pair is as unique as the hash). Measurements: bench/README.md.
 *
 * Claims in use are kept: the old `expires_at` was the token's last valid second + 1 s plus a
 * few milliseconds of drift, so rounding it down to the second gives the new, exact value.
 */
export class OtpClaimsByExpiry1795800000000 implements MigrationInterface {
  name = 'OtpClaimsByExpiry1795800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.renameTable('otp_used', 'otp_used_by_hash');
    await q.createTable(
      new Table({
        name: 'otp_used',
        columns: [
          { name: 'expires_at', type: 'bigint', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
        ],
        withoutRowid: true,
      }),
    );
    await q.query('INSERT INTO otp_used (expires_at, token_hash) SELECT (expires_at / 1000) * 1000, token_hash FROM otp_used_by_hash');
    await q.dropTable('otp_used_by_hash');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.renameTable('otp_used', 'otp_used_by_expiry');
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
    await q.query('INSERT INTO otp_used (token_hash, expires_at) SELECT token_hash, expires_at FROM otp_used_by_expiry');
    await q.dropTable('otp_used_by_expiry');
  }
}
