import { Injectable } from '@nestjs/common';
import { principalLogin } from '../auth/principal.js';
import { conditionalHeaders, evaluateConditions, firstValue } from '../common/http/conditional.js';
import { DomainError } from '../errors/domain-error.js';
import type { AreaStorage } from '../storage/area-storage.js';
import { StorageService } from '../storage/storage.service.js';
import { EVERY_MEMBER, type MemberAccess, type StorageEntry } from '../storage/storage.types.js';
import { parentOf } from './core/dav-path.js';
import { evaluateIf, ifHeaderResources, type IfResourceState, parseIfHeader } from './core/if-header.js';
import { checkWritable, type DavLock, locksCovering, type WriteTarget } from './core/locks.js';
import { isSameServer } from './core/same-server.js';
import { normalizeHost } from './core/transfer-headers.js';
import { type DavAction, DavAccess } from './dav-access.js';
import { hasBody, readLimitedBody } from './dav-body.js';
import { davPathOf, type DavContext, originOf } from './dav-context.js';
import { DavError } from './dav-errors.js';
import { DavLockStore } from './dav-lock.store.js';
import { hrefOf } from './dav-mount.js';

/** What the request acts on: `existing` is 404 when missing, `any` null; omitted, not looked up. */
export type DavResource = 'existing' | 'any';

/**
 * How one WebDAV method is checked before it acts, step by step in DavPreparer.prepare's order.
 * Header syntax (Depth, Destination, Overwrite, Timeout, ...) is the method's, before it calls
 * prepare: a malformed header is 400 whoever sends it, and names no resource.
 */
export interface DavPlan<B, R extends DavResource | undefined> {
  /** The ACL action on the request's own path (contract §6). */
  readonly action: DavAction;
  /** COPY and MOVE: the Destination's path, on which `write` is decided too. */
  readonly destination?: string;
  /**
   * Per-member access (contract §6) the method hands to the storage, which refuses before it
   * changes anything: `source` on the request path's members, `target` (`write`) on the
   * Destination's. `wholeTree` refuses here, before the body, unless `source` is allowed on
   * every member that could lie beneath the request path (LOCK Depth infinity).
   */
  readonly members?: { readonly source?: DavAction; readonly target?: 'write'; readonly wholeTree?: boolean };
  /** What the method never does whatever the state (the mount root, onto itself): 403 after access. */
  readonly refuse?: () => void;
  /**
   * The request body: `xml` read (at most 1 MiB) and parsed; `none` refuses any body with 415
   * (MKCOL); `upload` refuses an announced length over `maxBytes` with 413 (PUT, whose body is
   * then streamed by the method). Omitted: not read.
   */
  readonly body?: { readonly xml: (bytes: Buffer) => B } | { readonly none: true } | { readonly upload: { readonly maxBytes: number } };
  /**
   * Load the live locks even without an If header or targets: `true` as they must be honoured
   * (LOCK, UNLOCK); `'shown'` for lock discovery alone (PROPFIND), which may lag a lock granted
   * on another instance by its broadcast (DavLockStore.shown). With targets or an If header, as
   * they must be honoured.
   */
  readonly locks?: boolean | 'shown';
  readonly resource?: R;
  /** The method's own refusals on what is there (405, 409, 400; a Destination's parent, Overwrite), before the conditions. */
  readonly check?: (entry: EntryOf<R>, area: AreaStorage) => void | Promise<void>;
  /** Evaluate If-Match, If-None-Match, If-(Un)Modified-Since as for a change (412, never 304). */
  readonly conditions?: boolean;
  /** What the change touches, for the locks: 423 when a lock covers it and its owner's token is missing. */
  readonly targets?: (entry: EntryOf<R>) => ReadonlyArray<string | WriteTarget>;
}

type EntryOf<R> = R extends 'existing' ? StorageEntry : StorageEntry | null;

/** What prepare found out, for the method to act on. */
export interface Prepared<B, R> {
  readonly area: AreaStorage;
  readonly body: B;
  /** The live locks of the area; empty when the plan needed none. */
  readonly locks: readonly DavLock[];
  /** Lock tokens the If header submitted (RFC 4918 §10.4.1). */
  readonly submitted: ReadonlySet<string>;
  readonly entry: EntryOf<R>;
  /** Per-member access for the storage (every member when the plan asked for none). */
  readonly members: { readonly source: MemberAccess; readonly target: MemberAccess };
}

/**
 * The checks before a WebDAV method acts, in one order for every method. RFC 4918 leaves the
 * order to the server; this one keeps every status that tests and litmus pin. Before it, the
 * method parses its own headers (400, or 502 for a foreign Destination); then:
 *
 * 1. access: the ACL on the request path, the Destination, and every member where the method
 *    needs it — before any body is read, so a refused client never gets `100 Continue`;
 * 2. the body (XML parsed, or the announced size of an upload);
 * 3. the If header against the live locks (412);
 * 4. the resource (404), and the method's own checks on it (405, 409, Overwrite's 412);
 * 5. the conditional headers (412);
 * 6. the locks on what the change touches (423).
 */
@Injectable()
export class DavPreparer {
  constructor(
    private readonly storage: StorageService,
    private readonly access: DavAccess,
    private readonly lockStore: DavLockStore,
  ) {}

  async prepare<B = undefined, R extends DavResource | undefined = undefined>(ctx: DavContext, plan: DavPlan<B, R>): Promise<Prepared<B, R>> {
    // 1. Access.
    const { principal, mount } = ctx;
    await this.access.require(principal, mount, plan.action, ctx.path);
    if (plan.destination !== undefined) await this.access.require(principal, mount, 'write', plan.destination);
    const members = {
      source: plan.members?.source ? await this.access.members(principal, mount, plan.members.source) : EVERY_MEMBER,
      target: plan.members?.target ? await this.access.members(principal, mount, plan.members.target) : EVERY_MEMBER,
    };
    if (plan.members?.wholeTree) members.source.requireTree(ctx.path);
    plan.refuse?.();

    // 2. The body, now that the request may proceed.
    const body = await this.readBody(ctx, plan.body);

    // 3. The If header.
    const honoured = plan.locks === true || plan.targets !== undefined || ctx.headers.if !== undefined;
    const locks = honoured ? await this.lockStore.live(principal.account.id, mount.area) : plan.locks === 'shown' ? await this.lockStore.shown(principal.account.id, mount.area) : [];
    const area = this.storage.area(principal.account.id, mount.area);
    const submitted = await this.evaluateIfHeader(ctx, area, locks);

    // 4. The resource.
    let entry = null as EntryOf<R>;
    if (plan.resource !== undefined) entry = (plan.resource === 'existing' ? await area.stat(ctx.path) : await area.tryStat(ctx.path)) as EntryOf<R>;
    await plan.check?.(entry, area);

    // 5. HTTP's conditions.
    if (plan.conditions && evaluateConditions(conditionalHeaders(ctx.headers), entry, false) !== 'proceed') {
      throw new DomainError('precondition_failed', 'a precondition of the request does not hold');
    }

    // 6. The locks in the way of the change.
    if (plan.targets) requireWritable(ctx, locks, plan.targets(entry), submitted);
    return { area, body: body as B, locks, submitted, entry, members };
  }

  private async readBody(ctx: DavContext, rule: DavPlan<unknown, DavResource | undefined>['body']): Promise<unknown> {
    if (rule === undefined) return undefined;
    const length = firstValue(ctx.headers['content-length']);
    if ('xml' in rule) return rule.xml(await readLimitedBody(ctx.body, length));
    if ('none' in rule) {
      // RFC 4918 §9.3.1: a body we do not understand (we understand none) is 415.
      if (hasBody(ctx.headers) && (await readLimitedBody(ctx.body, length)).length > 0) {
        throw new DomainError('unsupported_media_type', `${ctx.method} with a request body is not supported`);
      }
      return undefined;
    }
    const max = rule.upload.maxBytes;
    if (length !== undefined && Number(length) > max) throw new DomainError('payload_too_large', `the file exceeds the upload limit of ${max} bytes`, { Connection: 'close' });
    return undefined;
  }

  /**
   * Evaluates the If header (RFC 4918 §10.4) against the resources it names: their entity tags
   * and the tokens of the locks covering them. Fails with 412; otherwise returns the submitted
   * tokens, which checkWritable then accepts only from the lock's owner.
   */
  private async evaluateIfHeader(ctx: DavContext, area: AreaStorage, locks: readonly DavLock[]): Promise<ReadonlySet<string>> {
    const header = parseIfHeader(ctx.headers.if);
    if (header === null) return new Set();
    const states = new Map<string | null, IfResourceState>();
    for (const resource of ifHeaderResources(header, ctx.url)) {
      const path = resource === null ? ctx.path : pathOfTag(ctx, resource);
      if (path === null) {
        states.set(resource, { etag: null, lockTokens: [] });
        continue;
      }
      const entry = await area.tryStat(path).catch(() => null);
      states.set(resource, { etag: entry?.etag ?? null, lockTokens: locksCovering(locks, path).map((l) => l.token) });
    }
    const result = evaluateIf(header, (r) => states.get(r) ?? { etag: null, lockTokens: [] }, ctx.url);
    if (!result.holds) throw new DomainError('precondition_failed', 'the If header does not hold');
    return result.submittedTokens;
  }
}

/** 409 when the parent of `path` is missing or not a collection (RFC 4918 §9.3.1, §9.7.1). */
export async function requireParentCollection(area: AreaStorage, path: string): Promise<void> {
  const parent = parentOf(path);
  const entry = parent === null ? null : await area.tryStat(parent);
  if (entry?.type !== 'directory') throw new DomainError('conflict', 'the parent collection does not exist');
}

/** 423 Locked naming the lock whose token is missing (RFC 4918 §16 lock-token-submitted). */
function requireWritable(ctx: DavContext, locks: readonly DavLock[], targets: ReadonlyArray<string | WriteTarget>, submitted: ReadonlySet<string>): void {
  const check = checkWritable(locks, targets, submitted, principalLogin(ctx.principal));
  if (!check.ok) {
    throw new DavError('locked', 'the resource is locked and no lock token of its owner was submitted', check.precondition, [hrefOf(ctx.mount, check.lockRoot, false)]);
  }
}

/** The path inside this mount that an absolute URL from an If header names; null if elsewhere. */
function pathOfTag(ctx: DavContext, absoluteUrl: string): string | null {
  const url = new URL(absoluteUrl);
  const scheme = url.protocol === 'https:' ? 'https' : url.protocol === 'http:' ? 'http' : null;
  if (scheme === null || !isSameServer(normalizeHost(url.host, scheme), scheme, originOf(ctx, new URL(ctx.url).host))) return null;
  try {
    return davPathOf(ctx.mount, url.pathname);
  } catch {
    return null;
  }
}
