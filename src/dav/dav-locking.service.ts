import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { principalLogin } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import { hasBody } from './dav-body.js';
import { parentOf } from './core/dav-path.js';
import { parseDepth } from './core/depth-header.js';
import { checkUnlock, conflicts, type DavLock, locksToRefresh, newLockToken } from './core/locks.js';
import { parseLockToken, parseTimeout } from './core/lock-headers.js';
import { lockResponseXml } from './core/multistatus.js';
import { type LockInfo, parseLockInfo } from './core/xml-request.js';
import { type DavContext, type DavResponse, lockOnMount, XML_CONTENT_TYPE } from './dav-context.js';
import { DavError } from './dav-errors.js';
import { DavLockStore } from './dav-lock.store.js';
import { hrefOf } from './dav-mount.js';
import { DavPreparer, requireParentCollection } from './dav-prepare.js';
import { DavPropertyStore } from './dav-property.store.js';

/** Lock owners are shown back in every lockdiscovery: kept small. */
const MAX_OWNER_XML = 64 * 1024;

/** LOCK (a new lock, or a refresh) and UNLOCK (RFC 4918 §9.10, §9.11). */
@Injectable()
export class DavLocking {
  constructor(
    private readonly preparer: DavPreparer,
    private readonly locks: DavLockStore,
    private readonly props: DavPropertyStore,
  ) {}

  lock(ctx: DavContext): Promise<DavResponse> {
    const seconds = parseTimeout(ctx.headers.timeout, this.locks.timeouts);
    // A refresh (RFC 4918 §9.10.2) is a LOCK without a body: known from the headers, so that a new
    // lock's access (every member, for Depth infinity) is decided before its body is read.
    return hasBody(ctx.headers) ? this.newLock(ctx, seconds) : this.refresh(ctx, seconds);
  }

  private async refresh(ctx: DavContext, seconds: number): Promise<DavResponse> {
    if (ctx.headers.if === undefined) throw new DomainError('bad_request', 'a LOCK without a body refreshes a lock and needs its token in an If header');
    const { locks, submitted } = await this.preparer.prepare(ctx, { action: 'write', locks: true });
    const refreshed = locksToRefresh(locks, ctx.path, submitted, principalLogin(ctx.principal));
    if (refreshed.length === 0) throw new DomainError('precondition_failed', 'the If header names no lock of yours on this resource');
    const expiresAt = Date.now() + seconds * 1000;
    await this.locks.refresh(
      ctx.principal.account.id,
      ctx.mount.area,
      refreshed.map((l) => l.token),
      expiresAt,
    );
    return { status: 200, headers: { 'Content-Type': XML_CONTENT_TYPE }, body: lockResponseXml(lockOnMount(ctx, { ...refreshed[0]!, expiresAt })) };
  }

  private async newLock(ctx: DavContext, seconds: number): Promise<DavResponse> {
    const depth = parseDepth(ctx.headers.depth, 'infinity', [0, 'infinity']) === 0 ? 0 : 'infinity';
    const { area, body: info, entry: existing } = await this.preparer.prepare(ctx, {
      action: 'write',
      // A lock on a tree keeps others from writing any member: every member must be writable to this principal.
      members: depth === 'infinity' ? { source: 'write', wholeTree: true } : undefined,
      body: { xml: lockInfoOf },
      resource: 'any',
      // Locking an unmapped URL creates an empty resource (RFC 4918 §7.3): a new member.
      check: (entry, storage) => (entry ? undefined : requireParentCollection(storage, ctx.path)),
      conditions: true,
      targets: (entry) => (entry ? [] : [parentOf(ctx.path)!]),
    });
    // A body of only white space: no lockinfo, so a refresh after all (its access was decided as a new lock's).
    if (info === null) return this.refresh(ctx, seconds);

    const account = ctx.principal.account.id;
    const lock: DavLock = { token: newLockToken(), root: ctx.path, depth, scope: info.scope, owner: info.owner, principal: principalLogin(ctx.principal), expiresAt: Date.now() + seconds * 1000 };
    await this.locks.grant(account, ctx.mount.area, lock, (live) => {
      const inTheWay = conflicts(live, lock);
      if (inTheWay.length > 0) {
        throw new DavError(
          'locked',
          'a conflicting lock is held on this resource',
          'no-conflicting-lock',
          inTheWay.map((l) => hrefOf(ctx.mount, l.root, false)),
        );
      }
    });
    let created = false;
    if (!existing) {
      try {
        created = (await area.write(ctx.path, Readable.from([]), { overwrite: false })).created;
      } catch (err) {
        // Someone created it meanwhile: it is locked all the same. Anything else undoes the lock.
        if (!(err instanceof DomainError && err.code === 'conflict' && (await area.tryStat(ctx.path)) !== null)) {
          await this.locks.remove(lock.token);
          throw err;
        }
      }
      if (created) await this.props.deleteTree(account, ctx.mount.area, ctx.path);
    }
    return {
      status: created ? 201 : 200,
      headers: { 'Content-Type': XML_CONTENT_TYPE, 'Lock-Token': `<${lock.token}>` },
      body: lockResponseXml(lockOnMount(ctx, lock)),
    };
  }

  async unlock(ctx: DavContext): Promise<DavResponse> {
    const token = parseLockToken(ctx.headers['lock-token']);
    const { locks } = await this.preparer.prepare(ctx, { action: 'write', locks: true });
    // The account owner (a full login) may remove any lock on its resources, a sublogin's too.
    const check = checkUnlock(locks, ctx.path, token, { login: principalLogin(ctx.principal), accountOwner: ctx.principal.sublogin === null });
    if (!check.ok) {
      if (check.status === 409) throw new DavError('conflict', 'no lock with this token covers the resource', check.precondition);
      throw new DomainError('forbidden', 'the lock belongs to another principal');
    }
    await this.locks.remove(token);
    return { status: 204 };
  }
}

/** The lockinfo of a LOCK body (null: none, a refresh), its owner kept small. */
function lockInfoOf(bytes: Buffer): LockInfo | null {
  const info = parseLockInfo(bytes);
  if (info?.owner != null && info.owner.length > MAX_OWNER_XML) throw new DomainError('bad_request', `the lock owner is longer than ${MAX_OWNER_XML} characters`);
  return info;
}
