import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { cascadeTo } from './1763800000000-Foundation.js';

/**
 * Checksums of files uploaded through WebDAV (`oc:checksums` for sync clients), each with the
 * identity (ETag) of the file it was computed for. Table API, so it runs on SQLite and
 * PostgreSQL. Deleting an account deletes its rows.
 *
 * Also drops the dead properties that are live from now on (`Win32LastModifiedTime`,
 * `oc:checksums`, and ownCloud's `DAV:lastmodified`): clients stored them with PROPPATCH when
 * they were dead, and their values would contradict the live ones.
 */
export class DavChecksums1796100000000 implements MigrationInterface {
  name = 'DavChecksums1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'dav_checksums',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'area', type: 'varchar', length: '16' },
          { name: 'path', type: 'text' },
          { name: 'parent_hash', type: 'varchar', length: '64' },
          { name: 'etag', type: 'varchar', length: '100' },
          { name: 'sha1', type: 'varchar', length: '40' },
          { name: 'md5', type: 'varchar', length: '32' },
          { name: 'updated_at', type: 'bigint' },
        ],
        foreignKeys: [cascadeTo('accounts', 'account_id')],
        indices: [new TableIndex({ columnNames: ['account_id', 'area', 'parent_hash'] })],
      }),
    );
    await q.manager
      .createQueryBuilder()
      .delete()
      .from('dav_properties')
      .where('(ns = :ms AND local_name = :win32) OR (ns = :oc AND local_name = :checksums) OR (ns = :dav AND local_name = :lastmodified)', {
        ms: 'urn:schemas-microsoft-com:',
        win32: 'Win32LastModifiedTime',
        oc: 'http://owncloud.org/ns',
        checksums: 'checksums',
        dav: 'DAV:',
        lastmodified: 'lastmodified',
      })
      .execute();
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('dav_checksums');
  }
}
