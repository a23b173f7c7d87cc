import { createHash } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, type Repository } from 'typeorm';
import { SharedState } from '../shared-state/shared-state.js';
import { parentOf } from './core/dav-path.js';
import { KeyedMutex } from './core/keyed-mutex.js';
import { qnameKey, type QName } from './core/xml-common.js';
import type { PropPatchOp } from './core/xml-request.js';
import { KnownAreas } from './dav-known-areas.js';
import { subtreeWhere } from './dav-lock.store.js';
import { DavPropertyRow } from './dav-property.entity.js';

export interface DeadProp {
  readonly name: QName;
  readonly valueXml: string;
  readonly lang: string | null;
}

/** Dead properties one resource may hold; PROPPATCH beyond it is refused with 507. */
export const MAX_DEAD_PROPS_PER_RESOURCE = 1000;

/** Announces, to every instance, an area (`account\0area`) that may have gained properties. */
const CHANNEL = 'dav-properties-added';

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
 *
 * Most areas never hold a dead property, and every PROPFIND asks for them: an area known to
 * hold none (KnownAreas, shared with the locks) is not asked again; every insert goes through
 * KnownAreas.adding. A PROPFIND on another instance may miss a property for as long as the
 * broadcast takes to arrive. The reads are fixed SQL, prepared once, not built by the query
 * builder per request.
 */
@Injectable()
export class DavPropertyStore implements OnModuleInit {
  private readonly queue = new KeyedMutex();
  private readonly areas: KnownAreas;
  private readonly sql: { readonly any: string; readonly ofPath: string; readonly ofFolder: string };

  constructor(
    @InjectRepository(DavPropertyRow) private readonly repo: Repository<DavPropertyRow>,
    @InjectDataSource() private readonly ds: DataSource,
    state: SharedState,
  ) {
    const pg = ds.options.type === 'postgres';
    const $ = (i: number) => (pg ? `$${i}` : '?');
    const columns = 'path, ns, local_name AS "local", value_xml AS "valueXml", lang';
    this.sql = {
      any: `SELECT 1 AS "one" FROM dav_properties WHERE account_id = ${$(1)} AND area = ${$(2)} LIMIT 1`,
      ofPath: `SELECT ${columns} FROM dav_properties WHERE account_id = ${$(1)} AND area = ${$(2)} AND path_hash = ${$(3)}`,
      ofFolder: `SELECT ${columns} FROM dav_properties WHERE account_id = ${$(1)} AND area = ${$(2)} AND (path_hash = ${$(3)} OR parent_hash = ${$(4)})`,
    };
    this.areas = new KnownAreas(state, CHANNEL);
  }

  async onModuleInit(): Promise<void> {
    await this.areas.subscribe();
  }

  async ofResource(accountId: string, area: string, path: string): Promise<DeadProp[]> {
    if (!(await this.mayHold(accountId, area))) return [];
    const rows = await this.select(this.sql.ofPath, [accountId, area, sha256(path)]);
    return rows.filter((r) => r.path === path).map(toDeadProp);
  }

  /** A folder's properties and its members', in one query (PROPFIND Depth 1), by path. */
  async ofFolderAndMembers(accountId: string, area: string, folder: string): Promise<Map<string, DeadProp[]>> {
    const byPath = new Map<string, DeadProp[]>();
    if (!(await this.mayHold(accountId, area))) return byPath;
    const hash = sha256(folder);
    const rows = await this.select(this.sql.ofFolder, [accountId, area, hash, hash]);
    for (const r of rows) {
      // Hashes find rows; the stored path decides (a collision cannot mix resources).
      if (r.path !== folder && parentOf(r.path) !== folder) continue;
      let list = byPath.get(r.path);
      if (!list) byPath.set(r.path, (list = []));
      list.push(toDeadProp(r));
    }
    return byPath;
  }

  /** False when the area is known to hold no dead property (see the class comment). */
  private async mayHold(accountId: string, area: string): Promise<boolean> {
    const known = this.areas.get(accountId, area);
    if (known !== undefined) return known;
    const since = this.areas.mark();
    const holds = (await this.select(this.sql.any, [accountId, area])).length > 0;
    this.areas.learn(accountId, area, holds, since);
    return holds;
  }

  private select(sql: string, params: unknown[]): Promise<PropertyRead[]> {
    return this.ds.query(sql, params) as Promise<PropertyRead[]>;
  }

  /**
   * Applies PROPPATCH instructions in order, all or nothing (RFC 4918 §9.2). Throws
   * TooManyPropertiesError, changing nothing, when the resource would end up with more than
   * MAX_DEAD_PROPS_PER_RESOURCE properties.
   */
  async patch(accountId: string, area: string, path: string, ops: readonly PropPatchOp[]): Promise<void> {
    if (!ops.some((op) => op.op === 'set')) return this.patchNow(accountId, area, path, ops);
    await this.areas.adding(accountId, area, () => this.patchNow(accountId, area, path, ops));
  }

  private async patchNow(accountId: string, area: string, path: string, ops: readonly PropPatchOp[]): Promise<void> {
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
    // An area known to hold none has none to copy, and none at `to`.
    if (!(await this.mayHold(accountId, area))) return;
    await this.areas.adding(accountId, area, () =>
      this.atomically(async (m) => {
        const rows = (await this.subtree(m, accountId, area, from)).filter((r) => !opts.shallow || r.path === from);
        await this.deleteSubtree(m, accountId, area, to);
        await this.insertMoved(m, accountId, area, rows, from, to);
      }),
    );
  }

  /** Moves the properties of the tree at `from` to `to` (whose old ones go). */
  async moveTree(accountId: string, area: string, from: string, to: string): Promise<void> {
    if (!(await this.mayHold(accountId, area))) return;
    await this.areas.adding(accountId, area, () =>
      this.atomically(async (m) => {
        const rows = await this.subtree(m, accountId, area, from);
        await this.deleteSubtree(m, accountId, area, to);
        if (rows.length) await m.delete(DavPropertyRow, { id: In(rows.map((r) => r.id)) });
        await this.insertMoved(m, accountId, area, rows, from, to);
      }),
    );
  }

  /** One DELETE statement: atomic without a transaction; none in an area known to hold none (every new file calls it). */
  async deleteTree(accountId: string, area: string, path: string): Promise<void> {
    if (!(await this.mayHold(accountId, area))) return;
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

/** A row as the fixed reads select it. */
interface PropertyRead {
  readonly path: string;
  readonly ns: string;
  readonly local: string;
  readonly valueXml: string;
  readonly lang: string | null;
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

function toDeadProp(r: PropertyRead): DeadProp {
  return { name: { ns: r.ns, local: r.local }, valueXml: r.valueXml, lang: r.lang };
}
