import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { parentOf } from './core/dav-path.js';
import type { FileChecksums } from './core/sync-clients.js';
import { DavChecksumRow } from './dav-checksum.entity.js';
import { subtreeWhere } from './dav-lock.store.js';

/** Rows per INSERT: under SQLite's and PostgreSQL's bound-parameter limits (9 columns a row). */
const INSERT_CHUNK = 400;

const sha256 = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex');

/** A file's checksums as stored, with the identity (ETag) of the file they belong to. */
export interface StoredChecksums extends FileChecksums {
  readonly etag: string;
}

/**
 * Checksums of files uploaded through WebDAV, in the database (table `dav_checksums`), keyed by
 * account, area and path, each with the ETag of the file it was computed for. Readers compare
 * that ETag with the file's own and ignore a row that does not match: a row is true whenever it
 * matches, however it got there, so these changes need no transaction, a row left behind by an
 * interrupted one is never wrong, and the file API (which keeps no checksums) cannot make one
 * lie. MOVE carries rows (a rename keeps the ETag), COPY carries them to the copy's new ETag,
 * DELETE drops them, as DavPropertyStore does with dead properties.
 */
@Injectable()
export class DavChecksumStore {
  /**
   * Every WebDAV upload records its checksums: fixed SQL, prepared once. (The query builder's
   * upsert wrote the time into the SQL text, so each upload prepared a statement of its own and
   * pushed hot ones out of TypeORM's statement cache.)
   */
  private readonly recordSql: string;

  constructor(@InjectRepository(DavChecksumRow) private readonly repo: Repository<DavChecksumRow>) {
    const pg = repo.manager.connection.options.type === 'postgres';
    const values = Array.from({ length: 9 }, (_, i) => (pg ? `$${i + 1}` : '?')).join(', ');
    const update = ['account_id', 'area', 'path', 'parent_hash', 'etag', 'sha1', 'md5', 'updated_at'].map((c) => `${c} = excluded.${c}`).join(', ');
    this.recordSql = `INSERT INTO dav_checksums (id, account_id, area, path, parent_hash, etag, sha1, md5, updated_at) VALUES (${values}) ON CONFLICT (id) DO UPDATE SET ${update}`;
  }

  /** Records the checksums of the file now at `path` (whose ETag is `etag`), replacing any. */
  async record(accountId: string, area: string, path: string, etag: string, sums: FileChecksums): Promise<void> {
    const r = row(accountId, area, path, etag, sums, new Date());
    await this.repo.query(this.recordSql, [r.id, r.accountId, r.area, r.path, r.parentHash, r.etag, r.sha1, r.md5, r.updatedAt.getTime()]);
  }

  /** The checksums of the file at `path` if they were computed for the file with `etag`. */
  async valid(accountId: string, area: string, path: string, etag: string): Promise<FileChecksums | null> {
    const r = await this.repo.findOne({ where: { id: rowId(accountId, area, path) } });
    return r !== null && r.path === path && r.etag === etag ? { sha1: r.sha1, md5: r.md5 } : null;
  }

  /** The rows of a folder's members (PROPFIND Depth 1), by path; the caller checks each ETag. */
  async ofMembers(accountId: string, area: string, folder: string): Promise<Map<string, StoredChecksums>> {
    const rows = await this.repo.find({ where: { accountId, area, parentHash: sha256(folder) } });
    // Hashes find rows; the stored path decides (a collision cannot mix resources).
    return new Map(rows.filter((r) => parentOf(r.path) === folder).map((r) => [r.path, { etag: r.etag, sha1: r.sha1, md5: r.md5 }]));
  }

  /**
   * After PROPPATCH set a file's modification time: its checksums, computed for `before`, now
   * belong to `after` (the same file: see AreaStorage.setModified). Nothing when they did not.
   */
  async carryToNewIdentity(accountId: string, area: string, path: string, before: string, after: string): Promise<void> {
    if (before === after) return;
    await this.repo.update({ id: rowId(accountId, area, path), etag: before }, { etag: after, updatedAt: new Date() });
  }

  /** Moves the rows of the tree at `from` to `to` (whose old ones go). A rename keeps ETags. */
  async moveTree(accountId: string, area: string, from: string, to: string): Promise<void> {
    const rows = await this.subtree(accountId, area, from);
    await this.deleteTree(accountId, area, to);
    const now = new Date();
    await this.insert(rows.map((r) => row(accountId, area, to + r.path.slice(from.length), r.etag, r, now)));
    // After the inserts: a failure in between leaves the old rows, which name no file there now.
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await this.repo.delete({ id: In(rows.slice(i, i + INSERT_CHUNK).map((r) => r.id)) });
    }
  }

  /**
   * Gives the tree at `to` (just copied from `from`) the checksums of the source files they
   * were copied from, under the copies' own ETags (`etagOf` reads them; null for a member that
   * is not there). A source row whose file changed since (`etagOf(source)` differs) is not
   * carried. The old rows of `to` go.
   */
  async copyTree(accountId: string, area: string, from: string, to: string, etagOf: (path: string) => Promise<string | null>): Promise<void> {
    const rows = await this.subtree(accountId, area, from);
    await this.deleteTree(accountId, area, to);
    const now = new Date();
    const copied: DavChecksumRow[] = [];
    for (const r of rows) {
      const target = to + r.path.slice(from.length);
      if ((await etagOf(r.path)) !== r.etag) continue;
      const etag = await etagOf(target);
      if (etag !== null) copied.push(row(accountId, area, target, etag, r, now));
    }
    await this.insert(copied);
  }

  /** One DELETE statement. */
  async deleteTree(accountId: string, area: string, path: string): Promise<void> {
    const s = subtreeWhere('path', path, 'root');
    await this.repo
      .createQueryBuilder()
      .delete()
      .from(DavChecksumRow)
      .where(`account_id = :accountId AND area = :area AND ${s.sql}`, { accountId, area, ...s.params })
      .execute();
  }

  private subtree(accountId: string, area: string, root: string): Promise<DavChecksumRow[]> {
    const s = subtreeWhere('c.path', root, 'root');
    return this.repo
      .createQueryBuilder('c')
      .where(`c.account_id = :accountId AND c.area = :area AND ${s.sql}`, { accountId, area, ...s.params })
      .getMany();
  }

  private async insert(rows: readonly DavChecksumRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await this.repo.insert(rows.slice(i, i + INSERT_CHUNK));
  }
}

function rowId(accountId: string, area: string, path: string): string {
  return sha256(accountId, area, path);
}

function row(accountId: string, area: string, path: string, etag: string, sums: FileChecksums, now: Date): DavChecksumRow {
  const r = new DavChecksumRow();
  r.id = rowId(accountId, area, path);
  r.accountId = accountId;
  r.area = area;
  r.path = path;
  r.parentHash = sha256(parentOf(path) ?? '');
  r.etag = etag;
  r.sha1 = sums.sha1;
  r.md5 = sums.md5;
  r.updatedAt = now;
  return r;
}
