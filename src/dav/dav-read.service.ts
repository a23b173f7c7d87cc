import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { httpDate } from '../common/date-text.js';
import { conditionalHeaders, evaluateConditions } from '../common/http/conditional.js';
import { mediaTypeOf } from '../common/http/media-type.js';
import { serveFile } from '../common/http/serve-file.js';
import { DomainError } from '../errors/domain-error.js';
import { StorageQuotaService } from '../storage/storage-quota.service.js';
import type { StorageEntry } from '../storage/storage.types.js';
import { parseDepth } from './core/depth-header.js';
import { type DavLock, locksCovering } from './core/locks.js';
import { MultistatusWriter, type PropStat } from './core/multistatus.js';
import { asksForQuota, liveProperties, propstatsFor, type QuotaFacts, quotaProperties } from './core/properties.js';
import { asksForChecksums, checksumsProperty, type FileChecksums, win32LastModifiedProperty } from './core/sync-clients.js';
import { parsePropfindCached, type PropfindRequest } from './core/xml-request.js';
import { DavAccess } from './dav-access.js';
import { DavChecksumStore, type StoredChecksums } from './dav-checksum.store.js';
import { ALLOW, type DavAnswer, type DavContext, type DavResponse, lockOnMount, XML_CONTENT_TYPE } from './dav-context.js';
import { DavError } from './dav-errors.js';
import { renderListing, STREAM_CHUNK } from './dav-listing.js';
import { hrefOf } from './dav-mount.js';
import { DavPreparer } from './dav-prepare.js';
import { type DeadProp, DavPropertyStore } from './dav-property.store.js';

/**
 * User files are served from the service's own origin: in a browser, an HTML or SVG file must
 * not run scripts there (its session cookies, MyPage). Sandboxed, nothing runs.
 */
const CONTENT_SECURITY = { 'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'", 'X-Content-Type-Options': 'nosniff' };

/** The reading methods: OPTIONS, GET and HEAD (a file's content, a collection's listing), PROPFIND. */
@Injectable()
export class DavReader {
  constructor(
    private readonly preparer: DavPreparer,
    private readonly access: DavAccess,
    private readonly props: DavPropertyStore,
    private readonly checksums: DavChecksumStore,
    private readonly quota: StorageQuotaService,
  ) {}

  async options(ctx: DavContext): Promise<DavResponse> {
    const { entry } = await this.preparer.prepare(ctx, { action: 'read', resource: 'any' });
    const allow = entry === null ? ALLOW.missing : entry.type === 'directory' ? ALLOW.collection : ALLOW.file;
    return { status: 200, headers: { DAV: '1, 2', Allow: allow, 'MS-Author-Via': 'DAV', 'Content-Length': 0 } };
  }

  async get(ctx: DavContext): Promise<DavAnswer> {
    // No stat here: serveFile takes validators and content from one open file, so the ETag sent
    // always describes the bytes sent, and evaluates the conditions and the range itself.
    const { area } = await this.preparer.prepare(ctx, { action: 'read' });
    // A folder answers `conflict`.
    const file = await area.openRead(ctx.path).catch(async (err: unknown) => {
      if (err instanceof DomainError && err.code === 'conflict') return null;
      throw err;
    });
    if (file !== null) return serveFile(file, ctx, { mediaType: mediaTypeOf(file.entry.name), contentHeaders: CONTENT_SECURITY });

    const folder = await area.stat(ctx.path);
    // A collection's URL ends with `/`: without it, the listing's relative links would name the
    // parent's members, and clients that learn "folder" from the redirect (lftp's cd) would
    // take it for a file. So 301 to the URL with the slash, as Apache's mod_dir does.
    const urlPath = new URL(ctx.url).pathname;
    if (!urlPath.endsWith('/')) return { status: 301, headers: { Location: `${urlPath}/`, 'Content-Length': 0 } };
    const outcome = evaluateConditions(conditionalHeaders(ctx.headers), folder, true);
    if (outcome === 'failed') throw new DomainError('precondition_failed', 'a precondition of the request does not hold');
    if (outcome === 'not_modified') return { status: 304, headers: { 'Last-Modified': httpDate(folder.modified) } };
    const headers = { ...CONTENT_SECURITY, 'Content-Type': 'text/html; charset=utf-8', 'Last-Modified': httpDate(folder.modified) };
    if (ctx.method === 'HEAD') return { status: 200, headers };
    // Members the principal may not read are left out, as in PROPFIND.
    const { children } = await area.children(ctx.path, await this.access.members(ctx.principal, ctx.mount, 'read'));
    return { status: 200, headers, body: renderListing(hrefOf(ctx.mount, folder.path, true), folder, children) };
  }

  async propfind(ctx: DavContext): Promise<DavResponse> {
    // No Depth header means infinity (RFC 4918 §9.1), which we refuse like Apache does: a
    // whole-tree PROPFIND is a denial of service waiting to happen.
    const depth = parseDepth(ctx.headers.depth, 'infinity');
    if (depth === 'infinity') throw new DavError('forbidden', 'PROPFIND with Depth: infinity is not supported; use Depth 0 or 1', 'propfind-finite-depth');
    const { area, body: request, locks, entry } = await this.preparer.prepare(ctx, { action: 'read', body: { xml: parsePropfindCached }, locks: 'shown', resource: 'existing' });
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
      return { status: 207, headers: { 'Content-Type': XML_CONTENT_TYPE }, body };
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
    return { status: 207, headers: { 'Content-Type': XML_CONTENT_TYPE }, body: Readable.from(stream(), { objectMode: false }) };
  }

  private propstats(ctx: DavContext, request: PropfindRequest, entry: StorageEntry, dead: readonly DeadProp[], locks: readonly DavLock[], sums: FileChecksums | null, quota: QuotaFacts | null): PropStat[] {
    const collection = entry.type === 'directory';
    const now = Date.now();
    const covering = locksCovering(locks, entry.path, now).map((l) => lockOnMount(ctx, l, now));
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
}

/** Stored checksums if they belong to this very file (its ETag), else null. */
function checksumsOf(stored: StoredChecksums | undefined, entry: StorageEntry): FileChecksums | null {
  return stored !== undefined && entry.type === 'file' && stored.etag === entry.etag ? stored : null;
}
