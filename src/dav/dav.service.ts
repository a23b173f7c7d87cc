import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { type Principal, principalLogin } from '../auth/principal.js';
import { decideRange, ifRangeAllows } from '../common/http/conditional.js';
import { DomainError } from '../errors/domain-error.js';
import type { AreaStorage } from '../storage/area-storage.js';
import { normalizeUserPath, StoragePathError } from '../storage/core/storage-path.js';
import { StorageQuotaService } from '../storage/storage-quota.service.js';
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
import { isSameServer, type RequestOrigin } from './core/same-server.js';
import { encodeHref, lockResponseXml, MultistatusWriter, type PropStat } from './core/multistatus.js';
import { asksForQuota, isProtected, liveProperties, propstatsFor, type QuotaFacts, quotaProperties } from './core/properties.js';
import { escapeXmlText, qnameKey } from './core/xml-common.js';
import {
  asksForChecksums,
  checksumsProperty,
  type ClaimedChecksum,
  contradictedClaim,
  type FileChecksums,
  parseChecksumList,
  parseMtimeValue,
  parseOcChecksum,
  parseOcMtime,
  settableLive,
  SyncHeaderError,
  UPLOAD_DIGESTS,
  win32LastModifiedProperty,
} from './core/sync-clients.js';
import { parseLockInfo, parsePropfind, parseProppatch, type PropfindRequest } from './core/xml-request.js';
import { DavAccess } from './dav-access.js';
import { hasBody, readLimitedBody } from './dav-body.js';
import { DavError } from './dav-errors.js';
import { DavChecksumStore, type StoredChecksums } from './dav-checksum.store.js';
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
  /** The client is on this machine (a loopback address): loopback names are then all ours (same-server.ts). */
  readonly loopbackClient: boolean;
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
    private readonly checksums: DavChecksumStore,
    private readonly quota: StorageQuotaService,
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
      // A collection's URL ends with `/`: without it, the listing's relative links would name the
      // parent's members, and clients that learn "folder" from the redirect (lftp's cd) would
      // take it for a file. So 301 to the URL with the slash, as Apache's mod_dir does.
      const urlPath = new URL(ctx.url).pathname;
      if (!urlPath.endsWith('/')) return { status: 301, headers: { Location: `${urlPath}/`, 'Content-Length': 0 } };
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
    // Access first: no body is read (and no `100 Continue` sent for it) before it is allowed.
    await this.access.require(ctx.principal, ctx.mount, 'read', ctx.path);
    const request = parsePropfind(await readLimitedBody(ctx.body, single(ctx.headers['content-length'])));
    const locks = await this.liveLocks(ctx);
    if (ctx.headers.if !== undefined) await this.evaluateIfHeader(ctx, locks);
    const area = this.area(ctx);
    const entry = await area.stat(ctx.path);
    const account = ctx.principal.account.id;

    // Checksums are looked up only when asked for (sync clients ask by name).
    const wantsChecksums = asksForChecksums(request);
    // RFC 4331 quota properties: looked up once, and only when asked for by name.
    const quota = entry.type === 'directory' && asksForQuota(request) ? await this.quotaFacts(ctx) : null;
    if (depth === 0 || entry.type === 'file') {
      const dead = await this.props.ofResource(account, ctx.mount.area, entry.path);
      const sums = wantsChecksums && entry.type === 'file' ? await this.checksums.valid(account, ctx.mount.area, entry.path, entry.etag) : null;
      const writer = new MultistatusWriter();
      const body = writer.start() + writer.response(hrefOf(ctx.mount, entry.path, entry.type === 'directory'), this.propstats(ctx, request, entry, dead, locks, sums, quota)) + writer.end();
      return { status: 207, headers: { 'Content-Type': XML }, body };
    }

    // A sublogin sees only the members it may read (contract §6).
    const { folder, children } = await area.children(ctx.path, await this.access.members(ctx.principal, ctx.mount, 'read'));
    const dead = await this.props.ofFolderAndMembers(account, ctx.mount.area, folder.path);
    const sums = wantsChecksums ? await this.checksums.ofMembers(account, ctx.mount.area, folder.path) : new Map<string, StoredChecksums>();
    const respond = (e: StorageEntry, w: MultistatusWriter) =>
      w.response(hrefOf(ctx.mount, e.path, e.type === 'directory'), this.propstats(ctx, request, e, dead.get(e.path) ?? [], locks, checksumsOf(sums.get(e.path), e), quota));
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
    // Sync clients: the source's modification time, and a checksum the bytes must match.
    const mtime = syncHeader(() => parseOcMtime(single(ctx.headers['x-oc-mtime'])));
    const claimed = syncHeader(() => parseOcChecksum(single(ctx.headers['oc-checksum'])));
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
      // With Content-Length, a file over the quota is refused before its body is read.
      result = await area.write(ctx.path, source, { maxBytes: max, expectedBytes: length === undefined ? undefined : Number(length), overwrite: true, signal: ctx.signal, ...this.syncWriteOptions(mtime, claimed) });
    } catch (err) {
      if (ctx.signal.aborted || ctx.body?.readableAborted) throw new DomainError('bad_request', 'the upload was interrupted; nothing was stored');
      throw withConnectionClose(err, ctx.body);
    }
    // A new file starts without properties, whatever an earlier file of that name left behind.
    if (result.created) await this.props.deleteTree(ctx.principal.account.id, ctx.mount.area, ctx.path);
    const { sha1, md5 } = result.digests ?? {};
    if (sha1 !== undefined && md5 !== undefined) await this.checksums.record(ctx.principal.account.id, ctx.mount.area, result.entry.path, result.entry.etag, { sha1, md5 });
    return { status: result.created ? 201 : 204, headers: { ETag: result.entry.etag, 'Content-Length': 0, ...(mtime ? { 'X-OC-Mtime': 'accepted' } : {}) } };
  }

  /**
   * What a WebDAV upload adds to a plain write: SHA-1 and MD5 computed as it streams (on a
   * worker thread, ~2 s of CPU per GiB: only here, where `oc:checksums` shows them, never on the
   * file API), the client's modification time, and the check of its OC-Checksum before the file
   * replaces anything.
   */
  private syncWriteOptions(mtime: Date | null, claimed: readonly ClaimedChecksum[] | null) {
    return {
      digests: UPLOAD_DIGESTS,
      ...(mtime ? { mtime } : {}),
      ...(claimed ? { verify: (r: { digests?: Partial<Record<string, string>> }) => verifyUpload(claimed, r.digests ?? {}) } : {}),
    };
  }

  async mkcol(ctx: DavContext): Promise<DavResponse> {
    await this.access.require(ctx.principal, ctx.mount, 'write', ctx.path);
    // RFC 4918 §9.3.1: a body we do not understand (we understand none) is 415.
    if (hasBody(ctx.headers) && (await readLimitedBody(ctx.body, single(ctx.headers['content-length']))).length > 0) {
      throw new DomainError('unsupported_media_type', 'MKCOL with a request body is not supported');
    }
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
    // Depth 0 only on a non-collection, where it means what infinity does (lftp's rm sends it);
    // on a collection it is refused below (RFC 4918 §9.6.1), as Apache does.
    const depth = parseDepth(ctx.headers.depth, 'infinity', [0, 'infinity']);
    await this.access.require(ctx.principal, ctx.mount, 'delete', ctx.path);
    if (ctx.path === '/') throw new DomainError('forbidden', 'the mount root cannot be deleted');
    const locks = await this.liveLocks(ctx);
    const submitted = await this.evaluateIfHeader(ctx, locks);
    const area = this.area(ctx);
    const entry = await area.stat(ctx.path);
    if (depth === 0 && entry.type === 'directory') throw new DomainError('bad_request', 'DELETE of a collection takes Depth: infinity (or no Depth header), not 0');
    this.checkConditions(ctx, entry);
    this.requireWritable(ctx, locks, [{ path: ctx.path, depth: 'infinity' }, parentOf(ctx.path)!], submitted);
    await area.delete(ctx.path, await this.access.members(ctx.principal, ctx.mount, 'delete'));
    await this.forgetTree(ctx, ctx.path);
    return { status: 204 };
  }

  async proppatch(ctx: DavContext): Promise<DavResponse> {
    await this.access.require(ctx.principal, ctx.mount, 'write', ctx.path);
    const ops = parseProppatch(await readLimitedBody(ctx.body, single(ctx.headers['content-length'])));
    const locks = await this.liveLocks(ctx);
    const submitted = await this.evaluateIfHeader(ctx, locks);
    const entry = await this.area(ctx).stat(ctx.path);
    this.checkConditions(ctx, entry);
    this.requireWritable(ctx, locks, [ctx.path], submitted);

    const names = uniqueNames(ops.map((op) => op.name));
    // Sync clients' live properties (core/sync-clients.ts): a modification time to set
    // (Win32LastModifiedTime, ownCloud's DAV:lastmodified), and oc:checksums, which a client may
    // only confirm. Neither can be removed. Every other name not protected is a dead property.
    const deadOps = ops.filter((op) => settableLive(op.name) === null);
    const refused = uniqueNames([...names.filter(isProtected), ...ops.filter((op) => op.op === 'remove' && settableLive(op.name) !== null).map((op) => op.name)]);
    const conflicting: typeof names = [];
    let mtime: Date | null = null;
    for (const op of ops) {
      if (op.op !== 'set') continue;
      const kind = settableLive(op.name);
      if (kind === 'mtime') {
        const date = parseMtimeValue(op.text);
        if (date === null) conflicting.push(op.name);
        else mtime = date;
      } else if (kind === 'checksums' && !(await this.confirmsChecksums(ctx, entry, op.text))) {
        conflicting.push(op.name);
      }
    }
    // All or nothing (RFC 4918 §9.2): one refused instruction fails the others with 424.
    const failures: Array<{ status: number; error?: string; names: typeof names }> = [];
    if (refused.length > 0) failures.push({ status: 403, error: 'cannot-modify-protected-property', names: refused });
    const refusedKeys = new Set(refused.map(qnameKey));
    // 409: a value whose semantics do not fit the property (§9.2.1): not a time, or checksums
    // that are not this file's.
    const conflicts = uniqueNames(conflicting).filter((n) => !refusedKeys.has(qnameKey(n)));
    if (conflicts.length > 0) failures.push({ status: 409, names: conflicts });
    if (failures.length === 0 && deadOps.length > 0) {
      try {
        await this.props.patch(ctx.principal.account.id, ctx.mount.area, entry.path, deadOps);
      } catch (err) {
        if (!(err instanceof TooManyPropertiesError)) throw err;
        const added = uniqueNames(deadOps.filter((op) => op.op === 'set').map((op) => op.name));
        failures.push({ status: 507, names: added });
      }
    }
    // Last, once nothing else can fail: the time is the one change that cannot be taken back.
    if (failures.length === 0 && mtime !== null) await this.setModified(ctx, entry.path, mtime);
    let propstats: PropStat[];
    if (failures.length === 0) {
      propstats = [{ status: 200, props: names.map((name) => ({ name })) }];
    } else {
      const bad = new Set(failures.flatMap((f) => f.names.map(qnameKey)));
      propstats = [
        ...failures.map((f) => ({ status: f.status, props: f.names.map((name) => ({ name })), ...(f.error ? { error: f.error } : {}) })),
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
    // rclone's owncloud vendor sends the source's time with a server-side copy or move too.
    const mtime = syncHeader(() => parseOcMtime(single(ctx.headers['x-oc-mtime'])));
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
      await this.checksums.moveTree(account, ctx.mount.area, ctx.path, dest);
      // Locks stay with the URL they were taken on (RFC 4918 §7.7): the moved tree loses its own.
      await this.locks.removeWithin(account, ctx.mount.area, ctx.path);
    } else {
      const shallow = depth === 0 && source.type === 'directory';
      await area.copy(ctx.path, dest, access, { overwrite: true, shallow });
      await this.props.copyTree(account, ctx.mount.area, ctx.path, dest, { shallow });
      // The copies are new files (new ETags): each gets its source's checksums, if still its own.
      await this.checksums.copyTree(account, ctx.mount.area, ctx.path, dest, async (p) => (await area.tryStat(p).catch(() => null))?.etag ?? null);
    }
    if (existing) await this.locks.removeWithin(account, ctx.mount.area, dest);
    // X-OC-Mtime applies to a file (ownCloud ignores it on a collection, and so do we).
    const mtimeSet = mtime !== null && source.type === 'file';
    if (mtimeSet) await this.setModified(ctx, dest, mtime);
    return { status: existing ? 204 : 201, headers: { 'Content-Length': 0, ...(mtimeSet ? { 'X-OC-Mtime': 'accepted' } : {}) } };
  }

  // -------------------------------------------------------------------------------------------
  // Locking

  async lock(ctx: DavContext): Promise<DavResponse> {
    await this.access.require(ctx.principal, ctx.mount, 'write', ctx.path);
    const info = parseLockInfo(await readLimitedBody(ctx.body, single(ctx.headers['content-length'])));
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
    const scheme = url.protocol === 'https:' ? 'https' : url.protocol === 'http:' ? 'http' : null;
    if (scheme === null || !isSameServer(normalizeHost(url.host, scheme), scheme, originOf(ctx, new URL(ctx.url).host))) return null;
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
   * 502 Bad Gateway (§9.8.5); `..` or a malformed URI is 400. User info in it is ignored
   * (parseDestination drops it); for a client on this machine, every loopback name with our
   * port is this server (same-server.ts). The message names the request's own host, never
   * what the Destination holds.
   */
  private destinationOf(ctx: DavContext): string {
    const dest = parseDestination(ctx.headers.destination);
    if (dest.host !== null && !isSameServer(dest.host, dest.scheme ?? 'http', originOf(ctx, ctx.host))) {
      throw new DomainError('bad_gateway', `the Destination names another server than the one this request was sent to (${ctx.host}); use the same host and port`);
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
    await this.checksums.deleteTree(ctx.principal.account.id, ctx.mount.area, path);
    await this.locks.removeWithin(ctx.principal.account.id, ctx.mount.area, path);
  }

  /**
   * Sets a file's or folder's modification time (X-OC-Mtime, PROPPATCH); a file's checksums
   * follow it to its new ETag, if they were its own.
   */
  private async setModified(ctx: DavContext, path: string, mtime: Date): Promise<void> {
    const { before, after } = await this.area(ctx).setModified(path, mtime);
    if (before.type === 'file') await this.checksums.carryToNewIdentity(ctx.principal.account.id, ctx.mount.area, before.path, before.etag, after.etag);
  }

  /** PROPPATCH of oc:checksums: true when every checksum it names is this file's own. */
  private async confirmsChecksums(ctx: DavContext, entry: StorageEntry, text: string): Promise<boolean> {
    const claims = parseChecksumList(text);
    if (typeof claims === 'string' || entry.type !== 'file') return false;
    const sums = await this.checksums.valid(ctx.principal.account.id, ctx.mount.area, entry.path, entry.etag);
    return sums !== null && contradictedClaim(claims, sums) === null;
  }

  private propstats(ctx: DavContext, request: PropfindRequest, entry: StorageEntry, dead: readonly DeadProp[], locks: readonly DavLock[], sums: FileChecksums | null = null, quota: QuotaFacts | null = null): PropStat[] {
    const collection = entry.type === 'directory';
    const now = Date.now();
    const covering = locksCovering(locks, entry.path, now).map((l) => this.describe(ctx, l, now));
    const live = liveProperties({ collection, size: entry.size, modified: entry.modified, etag: entry.etag, contentType: mediaTypeOf(entry.name) }, covering);
    // Sync clients' properties, shown only when asked for (a plain allprop leaves them out).
    const onRequest = request.kind === 'allprop' && request.include.length === 0 ? [] : [win32LastModifiedProperty(entry.modified), ...(sums ? [checksumsProperty(sums)] : []), ...(collection ? quotaProperties(quota) : [])];
    return propstatsFor(request, live, dead, onRequest);
  }

  /**
   * The account's quota (main and backup together, RFC 4331's "similar resources"), the same on
   * every collection of every mount: used bytes, and what may still be stored — the quota's
   * remainder or, without a quota, the free space of the filesystem, whichever is less.
   */
  private async quotaFacts(ctx: DavContext): Promise<QuotaFacts> {
    const [status, diskFree] = await Promise.all([this.quota.status(ctx.principal.account.id), this.quota.diskFreeBytes()]);
    const limits = [status.availableBytes, diskFree].filter((n): n is number => n !== null);
    return { usedBytes: status.usedBytes, availableBytes: limits.length === 0 ? null : Math.min(...limits) };
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

/** Stored checksums if they belong to this very file (its ETag), else null. */
function checksumsOf(stored: StoredChecksums | undefined, entry: StorageEntry): FileChecksums | null {
  return stored !== undefined && entry.type === 'file' && stored.etag === entry.etag ? stored : null;
}

/** A sync client's header (X-OC-Mtime, OC-Checksum) read, or 400 naming what is wrong with it. */
function syncHeader<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof SyncHeaderError) throw new DomainError('bad_request', err.message);
    throw err;
  }
}

/** Refuses an upload whose bytes contradict the client's OC-Checksum (nothing is stored). */
function verifyUpload(claims: readonly ClaimedChecksum[], digests: Partial<Record<string, string>>): void {
  const wrong = contradictedClaim(claims, digests);
  if (wrong === null) return;
  const actual = digests[wrong.algorithm] ?? '';
  throw new DomainError('checksum_mismatch', `the uploaded bytes do not match OC-Checksum: ${wrong.algorithm.toUpperCase()} is ${actual}, not ${wrong.hex}; nothing was stored`, {}, {
    algorithm: wrong.algorithm.toUpperCase(),
    expected: wrong.hex,
    actual,
  });
}

/** How the request reached us, `host` as the caller compares it. */
function originOf(ctx: DavContext, host: string): RequestOrigin {
  return { host, scheme: ctx.url.startsWith('https:') ? 'https' : 'http', loopbackClient: ctx.loopbackClient };
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
