import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './index.js';
import { migrationTestDb } from '../../../test/support/migration-test-db.js';
import { DavChecksums1796100000000 } from './1796100000000-DavChecksums.js';

const { open } = migrationTestDb();

describe('migration DavChecksums', () => {
  it('drops the dead properties that are live from now on, and no other', async () => {
    const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(DavChecksums1796100000000));
    const old = await open(before);
    await old.query('PRAGMA foreign_keys = OFF'); // no account row needed for this
    const names: Array<[string, string]> = [
      ['urn:schemas-microsoft-com:', 'Win32LastModifiedTime'],
      ['urn:schemas-microsoft-com:', 'Win32FileAttributes'],
      ['http://owncloud.org/ns', 'checksums'],
      ['http://owncloud.org/ns', 'favorite'],
      ['DAV:', 'lastmodified'],
      ['DAV:', 'displayname'],
    ];
    for (const [i, [ns, local]] of names.entries()) {
      await old.query(
        'INSERT INTO dav_properties (id, account_id, area, path, path_hash, parent_hash, ns, local_name, value_xml, lang, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [String(i), 'acct', 'main', '/f', 'h', 'p', ns, local, 'v', null, 0],
      );
    }
    await old.destroy();

    const ds = await open(MIGRATIONS);
    try {
      const left = (await ds.query('SELECT ns, local_name FROM dav_properties ORDER BY id')) as Array<{ ns: string; local_name: string }>;
      expect(left.map((r) => `${r.ns} ${r.local_name}`)).toEqual(['urn:schemas-microsoft-com: Win32FileAttributes', 'http://owncloud.org/ns favorite', 'DAV: displayname']);
      expect(await ds.query('SELECT COUNT(*) AS n FROM dav_checksums')).toEqual([{ n: 0 }]);
    } finally {
      await ds.destroy();
    }
  });
});
