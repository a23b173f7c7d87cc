import { describe, expect, it } from 'vitest';
import { migrationTestDb } from '../../../test/support/migration-test-db.js';
import { CredentialLimits1796400000000 } from './1796400000000-CredentialLimits.js';
import { MIGRATIONS } from './index.js';

const { open } = migrationTestDb();

describe('migration CredentialLimits', () => {
  it('adds nullable limits to sublogins and API keys in place: rows and their rules stay; reverting drops only the columns', async () => {
    const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(CredentialLimits1796400000000));
    const old = await open(before);
    await old.query("INSERT INTO accounts (id, login, email, password_hash, role, status, registered_at, created_at, updated_at) VALUES ('a1', 'alice', 'a@example.com', 'h', 'user', 'active', 1, 1, 1)");
    await old.query("INSERT INTO sublogins (id, account_id, name, login, password_hash, password_box, enabled, created_at, updated_at) VALUES ('s1', 'a1', 'backup', 'alice-backup', 'h', 'b', 1, 1, 1)");
    await old.query("INSERT INTO acl_rules (id, sublogin_id, position, path, effect) VALUES ('r1', 's1', 0, '/file/', 'allow')");
    await old.destroy();

    const ds = await open(MIGRATIONS.slice(0, MIGRATIONS.indexOf(CredentialLimits1796400000000) + 1));
    try {
      expect(await ds.query('SELECT id, expires_at, allowed_ranges FROM sublogins')).toEqual([{ id: 's1', expires_at: null, allowed_ranges: null }]);
      expect(await ds.query('SELECT id FROM acl_rules')).toEqual([{ id: 'r1' }]); // no table rebuild cascaded into the rules
      await ds.query("UPDATE sublogins SET expires_at = 5, allowed_ranges = '10.0.0.0/8' WHERE id = 's1'");
      const keyColumns = (await ds.query('PRAGMA table_info(api_keys)')).map((c: { name: string }) => c.name);
      expect(keyColumns).toEqual(expect.arrayContaining(['expires_at', 'allowed_ranges']));
      await ds.undoLastMigration();
      expect(await ds.query('SELECT id, login FROM sublogins')).toEqual([{ id: 's1', login: 'alice-backup' }]);
      expect(await ds.query('SELECT id FROM acl_rules')).toEqual([{ id: 'r1' }]);
      const columns = (await ds.query('PRAGMA table_info(sublogins)')).map((c: { name: string }) => c.name);
      expect(columns).not.toContain('expires_at');
    } finally {
      await ds.destroy();
    }
  });
});
