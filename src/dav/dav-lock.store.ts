import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { APP_CONFIG } from '../config/app-config.token.js';
import type { AppConfig } from '../config/config.js';
import { SharedState } from '../shared-state/shared-state.js';
import type { TimeoutOptions } from './core/lock-headers.js';
import { KeyedMutex } from './core/keyed-mutex.js';
import type { DavLock } from './core/locks.js';
import { KnownAreas } from './dav-known-areas.js';
import { DavLockRow } from './dav-lock.entity.js';

/** Announces, to every instance, an area (`account\0area`) that may have gained a live lock. */
const CHANNEL = 'dav-locks-added';

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
 * Most areas never hold a lock, and every write and PROPFIND asks: an area found without live
 * locks is remembered so (KnownAreas, shared with the dead properties) until a grant or a
 * refresh, on any instance, announces a change. Where a lock must be honoured (`live`: writes,
 * the If header, UNLOCK, the file API) that knowledge is used only on SQLite, where this process
 * is the only one that grants locks and hears of each at once; on PostgreSQL, shared by
 * instances, another instance's grant is heard only when its broadcast arrives, so `live` asks
 * the database. Lock discovery (`shown`, PROPFIND) uses it on every backend: it may show a lock
 * granted on another instance as late as a dead property.
 */
@Injectable()
export class DavLockStore implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
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
  private readonly areas: KnownAreas;
  /** This process is the only one that grants locks (SQLite): `live` may answer from `areas`. */
  private readonly alone: boolean;
  private readonly liveSql: string;

  constructor(
    @InjectRepository(DavLockRow) private readonly repo: Repository<DavLockRow>,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    state: SharedState,
  ) {
    this.alone = ds.options.type !== 'postgres';
    this.areas = new KnownAreas(state, CHANNEL);
    const $ = ds.options.type === 'postgres' ? (i: number) => `$${i}` : () => '?';
    this.liveSql = `SELECT token, root, depth, scope, owner_xml AS "ownerXml", principal, expires_at AS "expiresAt" FROM dav_locks WHERE account_id = ${$(1)} AND area = ${$(2)} AND expires_at > ${$(3)}`;
    const maxSeconds = config.davMaxLockTimeoutSeconds;
    this.timeouts = { maxSeconds, defaultSeconds: Math.min(3600, maxSeconds) };
  }

  async onModuleInit(): Promise<void> {
    await this.areas.subscribe();
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

  /** The unexpired locks of an account's area, as they must be honoured (see the class comment). */
  live(accountId: string, area: string, now: number = Date.now()): Promise<DavLock[]> {
    return this.lookUp(accountId, area, now, this.alone);
  }

  /** The unexpired locks of an account's area for lock discovery (PROPFIND), which may lag another instance's grant. */
  shown(accountId: string, area: string, now: number = Date.now()): Promise<DavLock[]> {
    return this.lookUp(accountId, area, now, true);
  }

  private async lookUp(accountId: string, area: string, now: number, remembered: boolean): Promise<DavLock[]> {
    if (remembered && this.areas.get(accountId, area) === false) return [];
    const since = this.areas.mark();
    const locks = await this.liveWith(this.repo.manager, accountId, area, now);
    // Only "none" saves a query; an area with locks is asked again anyway.
    if (locks.length === 0) this.areas.learn(accountId, area, false, since);
    return locks;
  }

  /**
   * Inserts `lock` if `check` (given the area's live locks, after any other grant in flight has
   * finished) does not throw; what it throws is passed on and nothing is stored.
   */
  async grant(accountId: string, area: string, lock: DavLock, check: (live: DavLock[]) => void | Promise<void>): Promise<void> {
    const key = `${accountId}\u0000${area}`;
    // Announced after the commit (the PostgreSQL transaction ends inside), before the answer.
    await this.areas.adding(accountId, area, () =>
      this.mutex.run(key, async () => {
        const work = async (m: EntityManager) => {
          const now = Date.now();
          await check(await this.liveWith(m, accountId, area, now));
          await m
            .createQueryBuilder()
            .delete()
            .from(DavLockRow)
            .where('account_id = :accountId AND area = :area AND expires_at <= :now', { accountId, area, now })
            .execute();
          await m.insert(DavLockRow, toRow(accountId, area, lock, now));
        };
        if (this.ds.options.type !== 'postgres') return work(this.repo.manager);
        return this.ds.transaction(async (m) => {
          await m.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryKey(key)]);
          await work(m);
        });
      }),
    );
  }

  /** Moves the expiry of the given locks of an account's area (a LOCK refresh, RFC 4918 §9.10.2), one that had just expired included. */
  async refresh(accountId: string, area: string, tokens: readonly string[], expiresAt: number): Promise<void> {
    if (tokens.length === 0) return;
    await this.areas.adding(accountId, area, () =>
      this.repo
        .createQueryBuilder()
        .update(DavLockRow)
        .set({ expiresAt: new Date(expiresAt) })
        .where('token IN (:...tokens) AND account_id = :accountId AND area = :area', { tokens, accountId, area })
        .execute(),
    );
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
