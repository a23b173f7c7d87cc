import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { type Principal, principalLogin } from '../auth/principal.js';
import { decideRange, ifRangeAllows } from '../common/http/conditional.js';
import { DomainError } from '../errors/domain-error.js';
import type { AreaStorage } from '../storage/area-storage.js';
import { normalizeUserPath, StoragePathError } from '../storage/core/storage-path.js';
import { StorageService } from '../storage/storage.service.js';
import type { StorageEntry } from '../storage/storage.types.js';
import { DavPathError, decodeMountPath, isWithinPath, mountOfPath, mountRelative, parentOf } from './core/dav-path.js';
import { evaluateConditions } from './core/http-conditions.js';
import {
  evaluateIf,
  ifHeaderResources,
  normalizeHost,
  type IfResourceState,
  parseDepth,
  parseDestination,
  parseIfHeader,
  parseLockToken,
  parseOverwrite,
  parseTimeout,
} from './core/if-header.js';
import {
  checkUnlock,
  checkWritable,
  conflicts,
  type DavLock,
  describeLock,
  locksCovering,
  locksToRefresh,
  newLockToken,
  type WriteTarget,
} from './core/locks.js';
import { mediaTypeOf } from './core/media-type.js';
import { encodeHref, lockResponseXml, MultistatusWriter, type PropStat } from './core/multistatus.js';
import { isProtected, liveProperties, propstatsFor } from './core/properties.js';
import { escapeXmlText, qnameKey } from './core/xml-common.js';
import { parseLockInfo, parsePropfind, parseProppatch, type PropfindRequest } from './core/xml-request.js';
import { DavAccess } from './dav-access.js';
import { hasBody, readLimitedBody } from './dav-body.js';
import { DavError } from './dav-errors.js';
import { DavLockStore } from './dav-lock.store.js';
import { DAV_MOUNTS, type DavMount, hrefOf } from './dav-mount.js';
import { type DeadProp, DavPropertyStore, TooManyPropertiesError } from './dav-property.store.js';

/** One WebDAV request, as the controller hands it over. */
export interface DavContext {
  readonly mount: DavMount;
  readonly method: string;
  /** Decoded, canonical path inside the mount (`/`, `/a b/c.txt`). */
  readonly path: string;
  readonly principal: Principal;
  /** The client's headers as sent (Content-Type included). */
  readonly headers: IncomingHttpHeaders;
  /** The unparsed request body, or null when the method carries none. */
  readonly body: Readable | null;
  /** Absolute URL of the request, to resolve the If header's resource tags against. */
  readonly url: string;
  /** The request's host (`host[:port]`, lower case), to compare Destination with. */
  readonly host: string;
  /** Aborted when the client goes away (a PUT in flight then stores nothing). */
  readonly signal: AbortSignal;
}

/** What the controller sends. A HEAD answer keeps its headers and drops the body. */
export interface DavResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: string | Readable;
}

const XML = 'application/xml; charset=utf-8';
/** Lock owners are shown back in every lockdiscovery: kept small. */
const MAX_OWNER_XML = 64 * 1024;
/** Written whole to the socket in chunks about this size (one `<D:response>` is ~1 KiB). */
const STREAM_CHUNK = 64 * 1024;
/**
 * User files are served from the service's own origin: in a browser, an HTML or SVG file must
 * not run scripts there (its session cookies, MyPage). Sandboxed, nothing runs.
 */
const CONTENT_SECURITY = { 'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'", 'X-Content-Type-Options': 'nosniff' };

const ALLOW = {
  missing: 'OPTIONS, MKCOL, PUT, LOCK',
  file: 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, LOCK, UNLOCK',
  collection: 'OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, LOCK, UNLOCK',
};

/**
 * WebDAV class 1 and 2 (RFC 4918) over the storage module, with locks and dead properties in the
 * database. Every method first decides the ACL (DavAccess), then evaluates the If header against
 * the live locks, then HTTP's own conditions, then the locks a change needs tokens for, and only
 * then touches storage. Status codes follow RFC 4918 where it names them, Apache mod_dav where
 * it leaves a choice.
 */
@Injectable()
export class DavService {
  constructor(
    private readonly storage: StorageService,
    private readonly access: DavAccess,
    private readonly locks: DavLockStore,
    private readonly props: DavPropertyStore,
  ) {}

  /**
   * The canonical path inside `mount` for a request URL path (still percent-encoded), or a 400:
   * every spelling of a path (`%2e`, `//`, `/./`) becomes the one the storage and the ACL use,
   * and `..` in any spelling is refused.
   */
  static pathOf(mount: DavMount, rawPath: string): string {
    try {
      return normalizeUserPath(decodeMountPath(mount.prefix, rawPath));
    } catch (err) {
      throw pathError(err);
    }
  }

  handle(ctx: DavContext): Promise<DavResponse> {
    switch (ctx.method) {
      case 'OPTIONS':
        return this.options(ctx);
      case 'GET':
      case 'HEAD':
        return this.get(ctx);
      case 'PUT':
        return this.put(ctx);
      case 'DELETE':
        return this.delete(ctx);
      case 'MKCOL':
        return this.mkcol(ctx);
      case 'PROPFIND':
        return this.propfind(ctx);
      case 'PROPPATCH':
        return this.proppatch(ctx);
      case 'COPY':
      case 'MOVE':
        return this.copyMove(ctx);
      case 'LOCK':
        return this.lock(ctx);
      case 'UNLOCK':
        return this.unlock(ctx);
      default:
        return Promise.reject(new DomainError('method_not_allowed', `${ctx.method} is not a WebDAV method here`));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async options(ctx: DavContext): Promise<DavResponse> {
    await this.access.require(ctx.principal, ctx.mount, 'read', ctx.path);
    const entry = await this.area(ctx).tryStat(ctx.path);
    const allow = entry === null ? ALLOW.missing : entry.type === 'directory' ? ALLOW.collection : ALLOW.file;
    return { status: 200, headers: { DAV: '1, 2', Allow: allow, 'MS-Author-Via': 'DAV', 'Content-Length': 0 } };
  }

  async get(ctx: DavContext): Promise<DavResponse> {
    await this.access.require(ctx.principal, ctx.mount, 'read', ctx.path);
    if (ctx.headers.if !== undefined) await this.evaluateIfHeader(ctx, await this.liveLocks(ctx));
    const area = this.area(ctx);
    const head = ctx.method === 'HEAD';
    // Opened first, without a separate stat: metadata and content come from one open file, so
    // the validators sent always describe the bytes sent. A folder answers `conflict`.
    const file = await area.openRead(ctx.path).catch(async (err: unknown) => {
      if (err instanceof DomainError && err.code === 'conflict') return null;
      throw err;
    });
    if (file === null) {
      const folder = await area.stat(ctx.path);
      if (this.checkSafeConditions(ctx, folder) === 'not_modified') return { status: 304, headers: { 'Last-Modified': folder.modified.toUTCString() } };
      const headers = { ...CONTENT_SECURITY, 'Content-Type': 'text/html; charset=utf-8', 'Last-Modified': folder.modified.toUTCString() };
      return head ? { status: 200, headers } : { status: 200, headers, body: await this.listing(ctx, area) };
    }
    try {
      const { entry } = file;
      const validators = { ETag: entry.etag, 'Last-Modified': entry.modified.toUTCString() };
      if (this.checkSafeConditions(ctx, entry) === 'not_modified') {
        await file.close();
        return { status: 304, headers: validators };
      }
      const headers: Record<string, string | number> = { ...CONTENT_SECURITY, ...validators, 'Accept-Ranges': 'bytes', 'Content-Type': mediaTypeOf(entry.name) };
      const range = ifRangeAllows(single(ctx.headers['if-range']), entry.etag, entry.modified) ? decideRange(single(ctx.headers.range), entry.size) : ({ kind: 'full' } as const);
      if (range.kind === 'unsatisfiable') {
        throw new DomainError('range_not_satisfiable', `the range lies outside the file's ${entry.size} bytes`, { 'Content-Range': `bytes */${entry.size}` });
      }
      let status = 200;
      if (range.kind === 'partial') {
        status = 206;
        headers['Content-Range'] = `bytes ${range.start}-${range.end}/${entry.size}`;
        headers['Content-Length'] = range.end - range.start + 1;
      } else {
        headers['Content-Length'] = entry.size;
      }
      if (head) {
        await file.close();
        return { status, headers };
      }
      return { status, headers, body: file.stream(range.kind === 'partial' ? range : undefined) };
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  async propfind(ctx: DavContext): Promise<DavResponse> {
    // No Depth header means infinity (RFC 4918 §9.1), which we refuse like Apache does: a
    // whole-tree PROPFIND is a denial of service waiting to happen.
    const depth = parseDepth(ctx.headers.depth, 'infinity');
    if (depth === 'infinity') throw new DavError('forbidden', 'PROPFIND with Depth: infinity is not supported; use Depth 0 or 1', 'propfind-finite-depth');
    const request = parsePropfind(await readLimitedBody(ctx.body, single(ctx.headers['content-length'])));
    await this.access.require(ctx.principal, ctx.mount, 'read', ctx.path);
    const locks = await this.liveLocks(ctx);
    if (ctx.headers.if !== undefined) await this.evaluateIfHeader(ctx, locks);
    const area = this.area(ctx);
    const entry = await area.stat(ctx.path);
    const account = ctx.principal.account.id;

    if (depth === 0 || entry.type === 'file') {
      const dead = await this.props.ofResource(account, ctx.mount.area, entry.path);
      const writer = new MultistatusWriter();
      const body = writer.start() + writer.response(hrefOf(ctx.mount, entry.path, entry.type === 'directory'), this.propstats(ctx, request, entry, dead, locks)) + writer.end();
      return { status: 207, headers: { 'Content-Type': XML }, body };
    }

    // A sublogin sees only the members it may read (SPEC §6).
    const { folder, children } = await area.children(ctx.path, await this.access.members(ctx.principal, ctx.mount, 'read'));
    const dead = await this.props.ofFolderAndMembers(account, ctx.mount.area, folder.path);
    const respond = (e: StorageEntry, w: MultistatusWriter) => w.response(hrefOf(ctx.mount, e.path, e.type === 'directory'), this.propstats(ctx, request, e, dead.get(e.path) ?? [], locks));
    // Streamed one <D:response> at a time: a folder of any size costs a bounded buffer.
    async function* stream(): AsyncGenerator<string> {
      const writer = new MultistatusWriter();
      let chunk = writer.start() + respond(folder, writer);
      for await (const child of children) {
        chunk += respond(child, writer);
        if (chunk.length >= STREAM_CHUNK) {
          yield chunk;
          chunk = '';
        }
      }
      yield chunk + writer.end();
    }
    return { status: 207, headers: { 'Content-Type': XML }, body: Readable.from(stream(), { objectMode: false }) };
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  async put(ctx: DavContext): Promise<DavResponse> {
    // RFC 9110 §14.5: a server that does not do partial PUT must refuse Content-Range.
    if (ctx.headers['content-range'] !== undefined) throw new DomainError('bad_request', 'partial PUT (Content-Range) is not supported');
    await this.access.require(ctx.principal, ctx.mount, 'write', ctx.path);
    const max = this.storage.maxUploadBytes;
    const length = single(ctx.headers['content-length']);
    if (length !== undefined && Number(length) > max) throw new DomainError('payload_too_large', `the file exceeds the upload limit of ${max} bytes`, { Connection: 'close' });
    const locks = await this.liveLocks(ctx);
    const submitted = await this.evaluateIfHeader(ctx, locks);
    const area = this.area(ctx);
    const existing = await area.tryStat(ctx.path);
    if (existing?.type === 'directory') throw new DomainError('method_not_allowed', 'PUT cannot replace a collection', { Allow: ALLOW.collection });
    this.checkConditions(ctx, existing);
    this.requireWritable(ctx, locks, existing ? [ctx.path] : [parentOf(ctx.path) ?? '/', ctx.path], submitted);

    const source = ctx.body ? ctx.body.iterator({ destroyOnReturn: false }) : Readable.from([]);
    let result;
    try {
      result = await area.write(ctx.path, source, { maxBytes: max, overwrite: true, signal: ctx.signal });
    } catch (err) {
      if (ctx.signal.aborted || ctx.body?.readableAborted) throw new DomainError('bad_request', 'the upload was interrupted; nothing was stored');
      throw withConnectionClose(err, ctx.body);
    }
    // A new file starts without properties, whatever an earlier file of that name left behind.
    if (result.created) await this.props.deleteTree(ctx.principal.account.id, ctx.mount.area, ctx.path);
    return { status: result.created ? 201 : 204, headers: { ETag: result.entry.etag, 'Content-Length': 0 } };
  }

  async mkcol(ctx: DavContext): Promise<DavResponse> {
    // RFC 4918 §9.3.1: a body we do not understand (we understand none) is 415.
    if (hasBody(ctx.headers) && (await readLimitedBody(ctx.body, single(ctx.headers['content-length']))).length > 0) {
      throw new DomainError('unsupported_media_type', 'MKCOL with a request body is not supported');
    }
    await this.access.require(ctx.principal, ctx.mount, 'write', ctx.path);
    const locks = await this.liveLocks(ctx);
    const submitted = await this.evaluateIfHeader(ctx, locks);
    const area = this.area(ctx);
    const existing = await area.tryStat(ctx.path);
    if (existing) throw new DomainError('method_not_allowed', 'something already exists at this URL', { Allow: existing.type === 'directory' ? ALLOW.collection : ALLOW.file });
    await this.requireParentCollection(area, ctx.path);
    this.checkConditions(ctx, null);
    this.requireWritable(ctx, locks, [parentOf(ctx.path)!, ctx.path], submitted);
    await area.mkdir(ctx.path);
    await this.props.deleteTree(ctx.principal.account.id, ctx.mount.area, ctx.path);
    return { status: 201, headers: { 'Content-Length': 0 } };
  }

  async delete(ctx: DavContext): Promise<DavResponse> {
    parseDepth(ctx.headers.depth, 'infinity', ['infinity']);
    await this.access.require(ctx.principal, ctx.mount, 'delete', ctx.path);
    if (ctx.path === '/') throw new DomainError('forbidden', 'the mount root cannot be deleted');
    const locks = await this.liveLocks(ctx);
    const submitted = await this.evaluateIfHeader(ctx, locks);
    const area = this.area(ctx);
    const entry = await area.stat(ctx.path);
    this.checkConditions(ctx, entry);
    this.requireWritable(ctx, locks, [{ path: ctx.path, depth: 'infinity' }, parentOf(ctx.path)!], submitted);
    await area.delete(ctx.path, await this.access.members(ctx.principal, ctx.mount, 'delete'));
    await this.forgetTree(ctx, ctx.path);
    return { status: 204 };
  }

  async proppatch(ctx: DavContext): Promise<DavResponse> {
    const ops = parseProppatch(await readLimitedBody(ctx.body, single(ctx.headers['content-length'])));
    await this.access.require(ctx.principal, ctx.mount, 'write', ctx.path);
    const locks = await this.liveLocks(ctx);
    const submitted = await this.evaluateIfHeader(ctx, locks);
    const entry = await this.area(ctx).stat(ctx.path);
    this.checkConditions(ctx, entry);
    this.requireWritable(ctx, locks, [ctx.path], submitted);

    const names = uniqueNames(ops.map((op) => op.name));
    // All or nothing (RFC 4918 §9.2): one refused instruction fails the others with 424.
    let failed: { status: number; error?: string; names: typeof names } | null = null;
    const refused = names.filter(isProtected);
    if (refused.length > 0) {
      failed = { status: 403, error: 'cannot-modify-protected-property', names: refused };
    } else {
      try {
        await this.props.patch(ctx.principal.account.id, ctx.mount.area, entry.path, ops);
      } catch (err) {
        if (!(err instanceof TooManyPropertiesError)) throw err;
        const added = uniqueNames(ops.filter((op) => op.op === 'set').map((op) => op.name));
        failed = { status: 507, names: added };
      }
    }
    let propstats: PropStat[];
    if (failed === null) {
      propstats = [{ status: 200, props: names.map((name) => ({ name })) }];
    } else {
      const bad = new Set(failed.names.map(qnameKey));
      propstats = [
        { status: failed.status, props: failed.names.map((name) => ({ name })), ...(failed.error ? { error: failed.error } : {}) },
        { status: 424, props: names.filter((n) => !bad.has(qnameKey(n))).map((name) => ({ name })) },
      ];
    }
    const writer = new MultistatusWriter();
    const body = writer.start() + writer.response(hrefOf(ctx.mount, entry.path, entry.type === 'directory'), propstats) + writer.end();
    return { status: 207, headers: { 'Content-Type': XML }, body };
  }

  async copyMove(ctx: DavContext): Promise<DavResponse> {
    const move = ctx.method === 'MOVE';
    const dest = this.destinationOf(ctx);
    const overwrite = parseOverwrite(ctx.headers.overwrite);
    // COPY: 0 or infinity; MOVE of a collection is always infinity (RFC 4918 §9.8.3, §9.9.2).
    const depth = parseDepth(ctx.headers.depth, 'infinity', move ? ['infinity'] : [0, 'infinity']);
    await this.access.require(ctx.principal, ctx.mount, move ? 'delete' : 'read', ctx.path);
    await this.access.require(ctx.principal, ctx.mount, 'write', dest);
    if (ctx.path === '/') throw new DomainError('forbidden', `the mount root cannot be ${move ? 'moved' : 'copied'}`);
    if (dest === ctx.path) throw new DomainError('forbidden', 'source and destination are the same resource');
    // Either inside the other: copying into itself never ends, and overwriting an ancestor
    // would delete the source before it is read.
    if (isWithinPath(dest, ctx.path) || isWithinPath(ctx.path, dest)) {
      throw new DomainError('forbidden', 'the destination lies inside the source, or the source inside the destination');
    }
    const locks = await this.liveLocks(ctx);
    const submitted = await this.evaluateIfHeader(ctx, locks);
    const area = this.area(ctx);
    const source = await area.stat(ctx.path);
    this.checkConditions(ctx, source);
    const existing = await area.tryStat(dest);
    await this.requireParentCollection(area, dest);
    if (existing && !overwrite) throw new DomainError('precondition_failed', 'the destination exists and Overwrite is F');

    const targets: Array<string | WriteTarget> = existing ? [{ path: dest, depth: 'infinity' }] : [dest, parentOf(dest)!];
    if (move) targets.push({ path: ctx.path, depth: 'infinity' }, parentOf(ctx.path)!);
    this.requireWritable(ctx, locks, targets, submitted);

    const account = ctx.principal.account.id;
    // Every member: MOVE deletes each source member, COPY reads it; both write each target member.
    const access = {
      source: await this.access.members(ctx.principal, ctx.mount, move ? 'delete' : 'read'),
      target: await this.access.members(ctx.principal, ctx.mount, 'write'),
    };
    if (move) {
      await area.move(ctx.path, dest, access, { overwrite: true });
      await this.props.moveTree(account, ctx.mount.area, ctx.path, dest);
      // Locks stay with the URL they were taken on (RFC 4918 §7.7): the moved tree loses its own.
      await this.locks.removeWithin(account, ctx.mount.area, ctx.path);
    } else {
      const shallow = depth === 0 && source.type === 'directory';
      await area.copy(ctx.path, dest, access, { overwrite: true, shallow });
      await this.props.copyTree(account, ctx.mount.area, ctx.path, dest, { shallow });
    }
    if (existing) await this.locks.removeWithin(account, ctx.mount.area, dest);
    return { status: existing ? 204 : 201, headers: { 'Content-Length': 0 } };
  }

  // -------------------------------------------------------------------------------------------
  // Locking

  async lock(ctx: DavContext): Promise<DavResponse> {
    const info = parseLockInfo(await readLimitedBody(ctx.body, single(ctx.headers['content-length'])));
    await this.access.require(ctx.principal, ctx.mount, 'write', ctx.path);
    const seconds = parseTimeout(ctx.headers.timeout, this.locks.timeouts);
    const locks = await this.liveLocks(ctx);
    const login = principalLogin(ctx.principal);
    const account = ctx.principal.account.id;

    if (info === null) {
      // A refresh (RFC 4918 §9.10.2): no body, the lock named in the If header.
      if (ctx.headers.if === undefined) throw new DomainError('bad_request', 'a LOCK without a body refreshes a lock and needs its token in an If header');
      const submitted = await this.evaluateIfHeader(ctx, locks);
      const refreshed = locksToRefresh(locks, ctx.path, submitted, login);
      if (refreshed.length === 0) throw new DomainError('precondition_failed', 'the If header names no lock of yours on this resource');
      const expiresAt = Date.now() + seconds * 1000;
      await this.locks.refresh(
        refreshed.map((l) => l.token),
        expiresAt,
      );
      return { status: 200, headers: { 'Content-Type': XML }, body: lockResponseXml(this.describe(ctx, { ...refreshed[0]!, expiresAt })) };
    }

    const depth = parseDepth(ctx.headers.depth, 'infinity', [0, 'infinity']) === 0 ? 0 : 'infinity';
    // A lock on a tree keeps others from writing any member: every member must be writable to this principal.
    if (depth === 'infinity') (await this.access.members(ctx.principal, ctx.mount, 'write')).requireTree(ctx.path);
    if (info.owner !== null && info.owner.length > MAX_OWNER_XML) throw new DomainError('bad_request', `the lock owner is longer than ${MAX_OWNER_XML} characters`);
    const submitted = await this.evaluateIfHeader(ctx, locks);
    const area = this.area(ctx);
    const existing = await area.tryStat(ctx.path);
    this.checkConditions(ctx, existing);
    if (!existing) {
      // Locking an unmapped URL creates an empty resource (RFC 4918 §7.3): a new member.
      await this.requireParentCollection(area, ctx.path);
      this.requireWritable(ctx, locks, [parentOf(ctx.path)!], submitted);
    }
    const lock: DavLock = { token: newLockToken(), root: ctx.path, depth, scope: info.scope, owner: info.owner, principal: login, expiresAt: Date.now() + seconds * 1000 };
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
      headers: { 'Content-Type': XML, 'Lock-Token': `<${lock.token}>` },
      body: lockResponseXml(this.describe(ctx, lock)),
    };
  }

  async unlock(ctx: DavContext): Promise<DavResponse> {
    const token = parseLockToken(ctx.headers['lock-token']);
    await this.access.require(ctx.principal, ctx.mount, 'write', ctx.path);
    // The account owner (a full login) may remove any lock on its resources, a sublogin's too.
    const check = checkUnlock(await this.liveLocks(ctx), ctx.path, token, { login: principalLogin(ctx.principal), accountOwner: ctx.principal.sublogin === null });
    if (!check.ok) {
      if (check.status === 409) throw new DavError('conflict', 'no lock with this token covers the resource', check.precondition);
      throw new DomainError('forbidden', 'the lock belongs to another principal');
    }
    await this.locks.remove(token);
    return { status: 204 };
  }

  // -------------------------------------------------------------------------------------------
  // Shared steps

  private area(ctx: DavContext): AreaStorage {
    // A sublogin acts on its customer's storage.
    return this.storage.area(ctx.principal.account.id, ctx.mount.area);
  }

  private liveLocks(ctx: DavContext): Promise<DavLock[]> {
    return this.locks.live(ctx.principal.account.id, ctx.mount.area);
  }

  /**
   * Evaluates the If header (RFC 4918 §10.4) against the resources it names: their entity tags
   * and the tokens of the locks covering them. Fails with 412; otherwise returns the submitted
   * tokens, which checkWritable then accepts only from the lock's owner.
   */
  private async evaluateIfHeader(ctx: DavContext, locks: readonly DavLock[]): Promise<ReadonlySet<string>> {
    const header = parseIfHeader(ctx.headers.if);
    if (header === null) return new Set();
    const states = new Map<string | null, IfResourceState>();
    const area = this.area(ctx);
    for (const resource of ifHeaderResources(header, ctx.url)) {
      const path = resource === null ? ctx.path : this.pathOfTag(ctx, resource);
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

  /** The path inside this mount that an absolute URL from an If header names; null if elsewhere. */
  private pathOfTag(ctx: DavContext, absoluteUrl: string): string | null {
    const url = new URL(absoluteUrl);
    if (url.host.toLowerCase() !== new URL(ctx.url).host.toLowerCase()) return null;
    try {
      return DavService.pathOf(ctx.mount, url.pathname);
    } catch {
      return null;
    }
  }

  /** GET and HEAD: 412, or `not_modified` for the caller to answer 304. */
  private checkSafeConditions(ctx: DavContext, entry: StorageEntry): 'proceed' | 'not_modified' {
    const outcome = evaluateConditions(conditionalHeaders(ctx.headers), entry, true);
    if (outcome === 'failed') throw new DomainError('precondition_failed', 'a precondition of the request does not hold');
    return outcome;
  }

  private checkConditions(ctx: DavContext, entry: StorageEntry | null): void {
    if (evaluateConditions(conditionalHeaders(ctx.headers), entry, false) !== 'proceed') {
      throw new DomainError('precondition_failed', 'a precondition of the request does not hold');
    }
  }

  /** 423 Locked naming the lock whose token is missing (RFC 4918 §16 lock-token-submitted). */
  private requireWritable(ctx: DavContext, locks: readonly DavLock[], targets: ReadonlyArray<string | WriteTarget>, submitted: ReadonlySet<string>): void {
    const check = checkWritable(locks, targets, submitted, principalLogin(ctx.principal));
    if (!check.ok) {
      throw new DavError('locked', 'the resource is locked and no lock token of its owner was submitted', check.precondition, [hrefOf(ctx.mount, check.lockRoot, false)]);
    }
  }

  /** 409 when the parent of `path` is missing or not a collection (RFC 4918 §9.3.1, §9.7.1). */
  private async requireParentCollection(area: AreaStorage, path: string): Promise<void> {
    const parent = parentOf(path);
    const entry = parent === null ? null : await area.tryStat(parent);
    if (entry?.type !== 'directory') throw new DomainError('conflict', 'the parent collection does not exist');
  }

  /**
   * The Destination header (RFC 4918 §10.3) as a path inside this mount. Another host, or
   * another mount of ours (another storage area, or the same area under other credentials), is
   * 502 Bad Gateway (§9.8.5); `..` or a malformed URI is 400.
   */
  private destinationOf(ctx: DavContext): string {
    const dest = parseDestination(ctx.headers.destination);
    if (dest.host !== null && dest.host !== normalizeHost(ctx.host, dest.scheme ?? 'http')) {
      throw new DomainError('bad_gateway', 'the Destination is on another server');
    }
    if (mountOfPath(DAV_MOUNTS.map((m) => m.prefix), dest.path) !== ctx.mount.prefix) {
      throw new DomainError('bad_gateway', `the Destination is outside ${ctx.mount.prefix}/`);
    }
    try {
      return normalizeUserPath(mountRelative(ctx.mount.prefix, dest.path));
    } catch (err) {
      throw pathError(err);
    }
  }

  private async forgetTree(ctx: DavContext, path: string): Promise<void> {
    await this.props.deleteTree(ctx.principal.account.id, ctx.mount.area, path);
    await this.locks.removeWithin(ctx.principal.account.id, ctx.mount.area, path);
  }

  private propstats(ctx: DavContext, request: PropfindRequest, entry: StorageEntry, dead: readonly DeadProp[], locks: readonly DavLock[]): PropStat[] {
    const collection = entry.type === 'directory';
    const now = Date.now();
    const covering = locksCovering(locks, entry.path, now).map((l) => this.describe(ctx, l, now));
    const live = liveProperties({ collection, size: entry.size, modified: entry.modified, etag: entry.etag, contentType: mediaTypeOf(entry.name) }, covering);
    return propstatsFor(request, live, dead);
  }

  /** A lock as lockdiscovery shows it, its root as a URL path of this mount. */
  private describe(ctx: DavContext, lock: DavLock, now: number = Date.now()) {
    return describeLock({ ...lock, root: hrefOf(ctx.mount, lock.root, false) }, now);
  }

  /** A folder as a small HTML page (GET on a collection), streamed, members filtered like PROPFIND. */
  private async listing(ctx: DavContext, area: AreaStorage): Promise<Readable> {
    const { folder, children } = await area.children(ctx.path, await this.access.members(ctx.principal, ctx.mount, 'read'));
    const title = escapeXmlText(hrefOf(ctx.mount, folder.path, true));
    async function* page(): AsyncGenerator<string> {
      let chunk = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><ul>`;
      if (folder.path !== '/') chunk += '<li><a href="../">../</a></li>';
      for await (const child of children) {
        const name = child.type === 'directory' ? `${child.name}/` : child.name;
        chunk += `<li><a href="${escapeXmlText(encodeHref(`/${name}`).slice(1))}">${escapeXmlText(name)}</a></li>`;
        if (chunk.length >= STREAM_CHUNK) {
          yield chunk;
          chunk = '';
        }
      }
      yield `${chunk}</ul></body></html>\n`;
    }
    return Readable.from(page(), { objectMode: false });
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function conditionalHeaders(h: IncomingHttpHeaders) {
  return {
    ifMatch: single(h['if-match']),
    ifNoneMatch: single(h['if-none-match']),
    ifModifiedSince: single(h['if-modified-since']),
    ifUnmodifiedSince: single(h['if-unmodified-since']),
  };
}

function uniqueNames<T extends { ns: string; local: string }>(names: readonly T[]): T[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const key = qnameKey(n);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function pathError(err: unknown): unknown {
  if (err instanceof DavPathError) return new DomainError(err.reason === 'dot_dot' ? 'path_escape' : 'path_invalid', err.message);
  if (err instanceof StoragePathError) return new DomainError(err.code, err.message);
  return err;
}

/** An upload refused before its body was read: answer, then close rather than drain it. */
function withConnectionClose(err: unknown, body: Readable | null): unknown {
  if (!(err instanceof DomainError) || body === null || body.readableEnded) return err;
  return new DomainError(err.code, err.message, { ...err.headers, Connection: 'close' }, err.details);
}
