import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, type Repository } from 'typeorm';
import { parentOf } from './core/dav-path.js';
import { KeyedMutex } from './core/keyed-mutex.js';
import { qnameKey, type QName } from './core/xml-common.js';
import type { PropPatchOp } from './core/xml-request.js';
import { subtreeWhere } from './dav-lock.store.js';
import { DavPropertyRow } from './dav-property.entity.js';

export interface DeadProp {
  readonly name: QName;
  readonly valueXml: string;
  readonly lang: string | null;
}

/** Dead properties one resource may hold; PROPPATCH beyond it is refused with 507. */
export const MAX_DEAD_PROPS_PER_RESOURCE = 1000;

/** Rows per INSERT: under SQLite's and PostgreSQL's bound-parameter limits (11 columns a row). */
const INSERT_CHUNK = 400;

const sha256 = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex');

export class TooManyPropertiesError extends Error {}

/**
 * Dead properties (RFC 4918 §4) in the database, keyed by account, area, path and qualified
 * name. Changes that touch several rows (PROPPATCH, and COPY/MOVE/DELETE of a tree) are atomic.
 *
 * Atomic means one transaction. On SQLite TypeORM has a single connection for the whole
 * process, so two transactions started concurrently would nest into each other; the DAV module's
 * own transactions therefore queue behind one another there. PostgreSQL gives each its own
 * connection.
 */
@Injectable()
export class DavPropertyStore {
  private readonly queue = new KeyedMutex();

  constructor(
    @InjectRepository(DavPropertyRow) private readonly repo: Repository<DavPropertyRow>,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  async ofResource(accountId: string, area: string, path: string): Promise<DeadProp[]> {
    const rows = await this.repo.find({ where: { accountId, area, pathHash: sha256(path) } });
    return rows.filter((r) => r.path === path).map(toDeadProp);
  }

  /** A folder's properties and its members', in one query (PROPFIND Depth 1), by path. */
  async ofFolderAndMembers(accountId: string, area: string, folder: string): Promise<Map<string, DeadProp[]>> {
    const hash = sha256(folder);
    const rows = await this.repo
      .createQueryBuilder('p')
      .where('p.account_id = :accountId AND p.area = :area AND (p.path_hash = :hash OR p.parent_hash = :hash)', { accountId, area, hash })
      .getMany();
    const byPath = new Map<string, DeadProp[]>();
    for (const r of rows) {
      // Hashes find rows; the stored path decides (a collision cannot mix resources).
      if (r.path !== folder && parentOf(r.path) !== folder) continue;
      let list = byPath.get(r.path);
      if (!list) byPath.set(r.path, (list = []));
      list.push(toDeadProp(r));
    }
    return byPath;
  }

  /**
   * Applies PROPPATCH instructions in order, all or nothing (RFC 4918 §9.2). Throws
   * TooManyPropertiesError, changing nothing, when the resource would end up with more than
   * MAX_DEAD_PROPS_PER_RESOURCE properties.
   */
  async patch(accountId: string, area: string, path: string, ops: readonly PropPatchOp[]): Promise<void> {
    await this.atomically(async (m) => {
      const existing = await m.find(DavPropertyRow, { where: { accountId, area, pathHash: sha256(path) }, select: { id: true, ns: true, local: true, path: true } });
      const names = new Set(existing.filter((r) => r.path === path).map((r) => qnameKey({ ns: r.ns, local: r.local })));
      const before = names.size;
      for (const op of ops) {
        if (op.op === 'set') names.add(qnameKey(op.name));
        else names.delete(qnameKey(op.name));
      }
      if (names.size > MAX_DEAD_PROPS_PER_RESOURCE && names.size > before) throw new TooManyPropertiesError();

      const now = new Date();
      for (const op of ops) {
        const id = propertyId(accountId, area, path, op.name);
        await m.delete(DavPropertyRow, { id });
        if (op.op === 'set') await m.insert(DavPropertyRow, row(accountId, area, path, op.name, op.valueXml, op.lang, now));
      }
    });
  }

  /**
   * Gives the tree at `to` copies of the properties of the tree at `from` (its old ones go);
   * `shallow`: of `from` itself only (COPY with Depth 0).
   */
  async copyTree(accountId: string, area: string, from: string, to: string, opts: { shallow?: boolean } = {}): Promise<void> {
    await this.atomically(async (m) => {
      const rows = (await this.subtree(m, accountId, area, from)).filter((r) => !opts.shallow || r.path === from);
      await this.deleteSubtree(m, accountId, area, to);
      await this.insertMoved(m, accountId, area, rows, from, to);
    });
  }

  /** Moves the properties of the tree at `from` to `to` (whose old ones go). */
  async moveTree(accountId: string, area: string, from: string, to: string): Promise<void> {
    await this.atomically(async (m) => {
      const rows = await this.subtree(m, accountId, area, from);
      await this.deleteSubtree(m, accountId, area, to);
      if (rows.length) await m.delete(DavPropertyRow, { id: In(rows.map((r) => r.id)) });
      await this.insertMoved(m, accountId, area, rows, from, to);
    });
  }

  /** One DELETE statement: atomic without a transaction (and cheap, as every new file calls it). */
  async deleteTree(accountId: string, area: string, path: string): Promise<void> {
    await this.deleteSubtree(this.repo.manager, accountId, area, path);
  }

  private atomically<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    const run = () => this.ds.transaction(work);
    return this.ds.options.type === 'postgres' ? run() : this.queue.run('sqlite', run);
  }

  private subtree(m: EntityManager, accountId: string, area: string, root: string): Promise<DavPropertyRow[]> {
    const s = subtreeWhere('p.path', root, 'root');
    return m
      .createQueryBuilder(DavPropertyRow, 'p')
      .where(`p.account_id = :accountId AND p.area = :area AND ${s.sql}`, { accountId, area, ...s.params })
      .getMany();
  }

  private async deleteSubtree(m: EntityManager, accountId: string, area: string, root: string): Promise<void> {
    const s = subtreeWhere('path', root, 'root');
    await m
      .createQueryBuilder()
      .delete()
      .from(DavPropertyRow)
      .where(`account_id = :accountId AND area = :area AND ${s.sql}`, { accountId, area, ...s.params })
      .execute();
  }

  private async insertMoved(m: EntityManager, accountId: string, area: string, rows: readonly DavPropertyRow[], from: string, to: string): Promise<void> {
    const now = new Date();
    const moved = rows.map((r) => {
      const path = to + r.path.slice(from.length);
      return row(accountId, area, path, { ns: r.ns, local: r.local }, r.valueXml, r.lang, now);
    });
    for (let i = 0; i < moved.length; i += INSERT_CHUNK) await m.insert(DavPropertyRow, moved.slice(i, i + INSERT_CHUNK));
  }
}

function propertyId(accountId: string, area: string, path: string, name: QName): string {
  return sha256(accountId, area, path, name.ns, name.local);
}

function row(accountId: string, area: string, path: string, name: QName, valueXml: string, lang: string | null, now: Date): DavPropertyRow {
  const r = new DavPropertyRow();
  r.id = propertyId(accountId, area, path, name);
  r.accountId = accountId;
  r.area = area;
  r.path = path;
  r.pathHash = sha256(path);
  r.parentHash = sha256(parentOf(path) ?? '');
  r.ns = name.ns;
  r.local = name.local;
  r.valueXml = valueXml;
  r.lang = lang;
  r.updatedAt = now;
  return r;
}

function toDeadProp(r: DavPropertyRow): DeadProp {
  return { name: { ns: r.ns, local: r.local }, valueXml: r.valueXml, lang: r.lang };
}
