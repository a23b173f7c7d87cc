import { describe, expect, it } from 'vitest';
import { bulkInsert } from '../bulk-insert.js';
import { MIGRATIONS } from './index.js';
import { migrationTestDb } from '../../../test/support/migration-test-db.js';
import { OtpClaimsByExpiry1795800000000 } from './1795800000000-OtpClaimsByExpiry.js';

// A token valid through second E was recorded, before this migration, until E s + 1 s plus the
// milliseconds between two Date.now() calls; after it, until exactly (E + 1) s.
const E = 1_795_800_123;
const hash = 'a'.repeat(64);

const { open } = migrationTestDb();

describe('migration OtpClaimsByExpiry', () => {
  it('keeps the claims in use, so a token claimed before it is still refused after it', async () => {
    const before = MIGRATIONS.filter((m) => m !== OtpClaimsByExpiry1795800000000);
    const old = await open(before);
    await old.query('INSERT INTO otp_used (token_hash, expires_at) VALUES (?, ?)', [hash, E * 1000 + 1000 + 7]);
    await old.destroy();

    const ds = await open(MIGRATIONS);
    try {
      expect(await ds.query('SELECT expires_at, token_hash FROM otp_used')).toEqual([{ expires_at: (E + 1) * 1000, token_hash: hash }]);
      const replay = await bulkInsert(ds, { table: 'otp_used', columns: ['expires_at', 'token_hash'], rows: [[(E + 1) * 1000, hash], [(E + 1) * 1000, 'b'.repeat(64)]], skipExisting: 'token_hash' });
      expect(replay).toEqual([1]);
      // Reverting gives the old shape back, rows included.
      await ds.undoLastMigration();
      expect(await ds.query('SELECT token_hash, expires_at FROM otp_used ORDER BY token_hash')).toEqual([
        { token_hash: hash, expires_at: (E + 1) * 1000 },
        { token_hash: 'b'.repeat(64), expires_at: (E + 1) * 1000 },
      ]);
    } finally {
      await ds.destroy();
    }
  });
});
