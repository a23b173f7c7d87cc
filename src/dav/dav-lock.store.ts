import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { APP_CONFIG } from '../config/app-config.token.js';
import type { AppConfig } from '../config/config.js';
import type { TimeoutOptions } from './core/lock-headers.js';
import { KeyedMutex } from './core/keyed-mutex.js';
import type { DavLock } from './core/locks.js';
import { DavLockRow } from './dav-lock.entity.js';

/** The subtree of `root` (itself included) in SQL: prefix compared by characters on both databases. */
export function subtreeWhere(column: string, root: string, param: string): { sql: string; params: Record<string, string> } {
  if (root === '/') return { sql: '1 = 1', params: {} };
  return {
    sql: `(${column} = :${param} OR substr(${column}, 1, length(CAST(:${param}Prefix AS TEXT))) = :${param}Prefix)`,
    params: { [param]: root, [`${param}Prefix`]: `${root}/` },
  };
}

/** A lock with the storage area it is in (an account's locks across its areas). */
export interface AreaLock extends DavLock {
  readonly area: string;
}

/**
 * WebDAV locks in the database (table `dav_locks`), so that every instance sees every lock.
 * Readers ignore expired rows; granting a lock prunes the area's expired ones.
 *
 * Granting is check-then-insert, which must not interleave with another grant on the same area
 * or two exclusive locks could both be granted: within this instance a mutex per area orders
 * them; on PostgreSQL the check and the insert also run in one transaction holding an advisory
 * lock on the area, which orders grants across instances. (SQLite serves one instance.)
 *
 * Expired rows of areas that see no new lock are removed by a sweep every few minutes.
 *
 * On SQLite, where this process is the only one that grants locks, an area found without live
 * locks is remembered so until a grant or refresh here: most areas never hold a lock, and every
 * write, PROPFIND and file API change asks (a query per request before). PostgreSQL, shared by
 * instances, is always asked.
 */
@Injectable()
export class DavLockStore implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly SWEEP_MS = 10 * 60 * 1000;
  private readonly logger = new Logger(DavLockStore.name);
  private readonly mutex = new KeyedMutex();
  private sweeper: NodeJS.Timeout | undefined;
  /**
   * How long a LOCK or a refresh may hold (parseTimeout's options): at most DAV_MAX_LOCK_TIMEOUT,
   * which `Timeout: Infinite` and any longer request get; an hour (or the cap, if shorter) when
   * the client names none.
   */
  readonly timeouts: TimeoutOptions;
  /** `account\0area` of areas without live locks (SQLite only, see above); bounded by clearing. */
  private readonly knownEmpty = new Set<string>();
  /** Counts grants and refreshes: a look-up that overlapped one does not mark its area empty. */
  private changes = 0;
  private readonly liveSql: string;

  constructor(
    @InjectRepository(DavLockRow) private readonly repo: Repository<DavLockRow>,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const $ = ds.options.type === 'postgres' ? (i: number) => `$${i}` : () => '?';
    this.liveSql = `SELECT token, root, depth, scope, owner_xml AS "ownerXml", principal, expires_at AS "expiresAt" FROM dav_locks WHERE account_id = ${$(1)} AND area = ${$(2)} AND expires_at > ${$(3)}`;
    const maxSeconds = config.davMaxLockTimeoutSeconds;
    this.timeouts = { maxSeconds, defaultSeconds: Math.min(3600, maxSeconds) };
  }

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => {
      this.prune().catch((err: unknown) => this.logger.warn({ err }, 'could not prune expired WebDAV locks'));
    }, DavLockStore.SWEEP_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Removes every expired lock (they are ignored anyway; this only keeps the table small). */
  async prune(now: number = Date.now()): Promise<void> {
    await this.repo.createQueryBuilder().delete().from(DavLockRow).where('expires_at <= :now', { now }).execute();
  }

  /** The unexpired locks of an account's area. */
  async live(accountId: string, area: string, now: number = Date.now()): Promise<DavLock[]> {
    if (this.ds.options.type === 'postgres') return this.liveWith(this.repo.manager, accountId, area, now);
    const key = `${accountId}\u0000${area}`;
    if (this.knownEmpty.has(key)) return [];
    const before = this.changes;
    const locks = await this.liveWith(this.repo.manager, accountId, area, now);
    if (locks.length === 0 && this.changes === before) {
      if (this.knownEmpty.size >= 100_000) this.knownEmpty.clear();
      this.knownEmpty.add(key);
    }
    return locks;
  }

  /** Before a lock may become live (a grant, a refresh of one that may have just expired). */
  private changing(key?: string): void {
    this.changes++;
    if (key === undefined) this.knownEmpty.clear();
    else this.knownEmpty.delete(key);
  }

  /**
   * Inserts `lock` if `check` (given the area's live locks, after any other grant in flight has
   * finished) does not throw; what it throws is passed on and nothing is stored.
   */
  async grant(accountId: string, area: string, lock: DavLock, check: (live: DavLock[]) => void | Promise<void>): Promise<void> {
    const key = `${accountId}\u0000${area}`;
    await this.mutex.run(key, async () => {
      const work = async (m: EntityManager) => {
        const now = Date.now();
        await check(await this.liveWith(m, accountId, area, now));
        await m
          .createQueryBuilder()
          .delete()
          .from(DavLockRow)
          .where('account_id = :accountId AND area = :area AND expires_at <= :now', { accountId, area, now })
          .execute();
        // Before and after: a look-up running meanwhile cannot mark the area empty.
        this.changing(key);
        try {
          await m.insert(DavLockRow, toRow(accountId, area, lock, now));
        } finally {
          this.changing(key);
        }
      };
      if (this.ds.options.type !== 'postgres') return work(this.repo.manager);
      return this.ds.transaction(async (m) => {
        await m.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryKey(key)]);
        await work(m);
      });
    });
  }

  /** Moves the expiry of the given locks (a LOCK refresh, RFC 4918 §9.10.2). */
  async refresh(tokens: readonly string[], expiresAt: number): Promise<void> {
    if (tokens.length === 0) return;
    this.changing();
    try {
      await this.repo
        .createQueryBuilder()
        .update(DavLockRow)
        .set({ expiresAt: new Date(expiresAt) })
        .where('token IN (:...tokens)', { tokens })
        .execute();
    } finally {
      this.changing();
    }
  }

  async remove(token: string): Promise<void> {
    await this.repo.delete({ token });
  }

  /** The unexpired locks of an account in all its areas, by area and root. */
  async liveOfAccount(accountId: string, now: number = Date.now()): Promise<AreaLock[]> {
    const rows = await this.repo
      .createQueryBuilder('l')
      .where('l.account_id = :accountId AND l.expires_at > :now', { accountId, now })
      .orderBy('l.area')
      .addOrderBy('l.root')
      .addOrderBy('l.token')
      .getMany();
    return rows.map((row) => ({ ...fromRow(row), area: row.area }));
  }

  /**
   * Removes the account's unexpired lock with this token, whoever took it (the account owner's
   * removal); returns it, or null when the account has no such lock.
   */
  async removeOfAccount(accountId: string, token: string, now: number = Date.now()): Promise<AreaLock | null> {
    const row = await this.repo
      .createQueryBuilder('l')
      .where('l.token = :token AND l.account_id = :accountId AND l.expires_at > :now', { token, accountId, now })
      .getOne();
    if (row === null) return null;
    await this.repo.delete({ token: row.token, accountId });
    return { ...fromRow(row), area: row.area };
  }

  /** Drops the locks rooted at `root` or below it: their resources were deleted or moved away. */
  async removeWithin(accountId: string, area: string, root: string): Promise<void> {
    const subtree = subtreeWhere('root', root, 'root');
    await this.repo
      .createQueryBuilder()
      .delete()
      .from(DavLockRow)
      .where(`account_id = :accountId AND area = :area AND ${subtree.sql}`, { accountId, area, ...subtree.params })
      .execute();
  }

  /** Fixed SQL, prepared once: on PostgreSQL every DAV write and PROPFIND asks (see the class comment). */
  private async liveWith(m: EntityManager, accountId: string, area: string, now: number): Promise<DavLock[]> {
    const rows = (await m.query(this.liveSql, [accountId, area, now])) as LiveRead[];
    return rows.map((r) =>
      fromRow({ ...r, expiresAt: new Date(Number(r.expiresAt)) } as Pick<DavLockRow, 'token' | 'root' | 'depth' | 'scope' | 'ownerXml' | 'principal' | 'expiresAt'>),
    );
  }
}

/** A lock row as liveWith selects it (PostgreSQL returns a bigint as a string). */
interface LiveRead {
  readonly token: string;
  readonly root: string;
  readonly depth: string;
  readonly scope: string;
  readonly ownerXml: string | null;
  readonly principal: string;
  readonly expiresAt: string | number;
}

function toRow(accountId: string, area: string, lock: DavLock, now: number): DavLockRow {
  const row = new DavLockRow();
  row.token = lock.token;
  row.accountId = accountId;
  row.area = area;
  row.root = lock.root;
  row.depth = lock.depth === 0 ? '0' : 'infinity';
  row.scope = lock.scope;
  row.ownerXml = lock.owner;
  row.principal = lock.principal;
  row.createdAt = new Date(now);
  row.expiresAt = new Date(lock.expiresAt);
  return row;
}

function fromRow(row: Pick<DavLockRow, 'token' | 'root' | 'depth' | 'scope' | 'ownerXml' | 'principal' | 'expiresAt'>): DavLock {
  return {
    token: row.token,
    root: row.root,
    depth: row.depth === '0' ? 0 : 'infinity',
    scope: row.scope === 'shared' ? 'shared' : 'exclusive',
    owner: row.ownerXml,
    principal: row.principal,
    expiresAt: row.expiresAt.getTime(),
  };
}

/** A signed 64-bit advisory-lock key for PostgreSQL, from the area's key. */
function advisoryKey(key: string): string {
  return createHash('sha256').update(`dav-lock\u0000${key}`).digest().readBigInt64BE(0).toString();
}
