import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { firstValue } from '../common/http/conditional.js';
import { DomainError } from '../errors/domain-error.js';
import { StorageService } from '../storage/storage.service.js';
import type { StorageEntry } from '../storage/storage.types.js';
import { isWithinPath, parentOf } from './core/dav-path.js';
import { parseDepth } from './core/depth-header.js';
import type { WriteTarget } from './core/locks.js';
import { MultistatusWriter, type PropStat } from './core/multistatus.js';
import { isProtected } from './core/properties.js';
import {
  type ClaimedChecksum,
  contradictedClaim,
  parseChecksumList,
  parseMtimeValue,
  parseOcChecksum,
  parseOcMtime,
  settableLive,
  SyncHeaderError,
  UPLOAD_DIGESTS,
} from './core/sync-clients.js';
import { parseOverwrite } from './core/transfer-headers.js';
import { qnameKey } from './core/xml-common.js';
import { parseProppatch } from './core/xml-request.js';
import { DavChecksumStore } from './dav-checksum.store.js';
import { ALLOW, type DavContext, type DavResponse, destinationOf, XML_CONTENT_TYPE } from './dav-context.js';
import { DavLockStore } from './dav-lock.store.js';
import { hrefOf } from './dav-mount.js';
import { DavPreparer, requireParentCollection } from './dav-prepare.js';
import { DavPropertyStore, TooManyPropertiesError } from './dav-property.store.js';

/** The methods that change resources: PUT, MKCOL, DELETE, PROPPATCH, COPY and MOVE. */
@Injectable()
export class DavWriter {
  constructor(
    private readonly preparer: DavPreparer,
    private readonly storage: StorageService,
    private readonly locks: DavLockStore,
    private readonly props: DavPropertyStore,
    private readonly checksums: DavChecksumStore,
  ) {}

  async put(ctx: DavContext): Promise<DavResponse> {
    // RFC 9110 §14.5: a server that does not do partial PUT must refuse Content-Range.
    if (ctx.headers['content-range'] !== undefined) throw new DomainError('bad_request', 'partial PUT (Content-Range) is not supported');
    // Sync clients: the source's modification time, and a checksum the bytes must match.
    const mtime = syncHeader(() => parseOcMtime(firstValue(ctx.headers['x-oc-mtime'])));
    const claimed = syncHeader(() => parseOcChecksum(firstValue(ctx.headers['oc-checksum'])));
    const max = this.storage.maxUploadBytes;
    const { area } = await this.preparer.prepare(ctx, {
      action: 'write',
      body: { upload: { maxBytes: max } },
      resource: 'any',
      check: (e) => {
        if (e?.type === 'directory') throw new DomainError('method_not_allowed', 'PUT cannot replace a collection', { Allow: ALLOW.collection });
      },
      conditions: true,
      targets: (e) => (e ? [ctx.path] : [parentOf(ctx.path) ?? '/', ctx.path]),
    });

    const length = firstValue(ctx.headers['content-length']);
    const source = ctx.body ? ctx.body.iterator({ destroyOnReturn: false }) : Readable.from([]);
    let result;
    try {
      // With Content-Length, a file over the quota is refused before its body is read.
      result = await area.write(ctx.path, source, { maxBytes: max, expectedBytes: length === undefined ? undefined : Number(length), overwrite: true, signal: ctx.signal, ...syncWriteOptions(mtime, claimed) });
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

  async mkcol(ctx: DavContext): Promise<DavResponse> {
    const { area } = await this.preparer.prepare(ctx, {
      action: 'write',
      body: { none: true },
      resource: 'any',
      check: async (existing, area) => {
        if (existing) throw new DomainError('method_not_allowed', 'something already exists at this URL', { Allow: existing.type === 'directory' ? ALLOW.collection : ALLOW.file });
        await requireParentCollection(area, ctx.path);
      },
      conditions: true,
      targets: () => [parentOf(ctx.path)!, ctx.path],
    });
    await area.mkdir(ctx.path);
    await this.props.deleteTree(ctx.principal.account.id, ctx.mount.area, ctx.path);
    return { status: 201, headers: { 'Content-Length': 0 } };
  }

  async delete(ctx: DavContext): Promise<DavResponse> {
    // Depth 0 only on a non-collection, where it means what infinity does (lftp's rm sends it);
    // on a collection it is refused below (RFC 4918 §9.6.1), as Apache does.
    const depth = parseDepth(ctx.headers.depth, 'infinity', [0, 'infinity']);
    const { area, members } = await this.preparer.prepare(ctx, {
      action: 'delete',
      members: { source: 'delete' },
      refuse: () => {
        if (ctx.path === '/') throw new DomainError('forbidden', 'the mount root cannot be deleted');
      },
      resource: 'existing',
      check: (entry) => {
        if (depth === 0 && entry.type === 'directory') throw new DomainError('bad_request', 'DELETE of a collection takes Depth: infinity (or no Depth header), not 0');
      },
      conditions: true,
      targets: () => [{ path: ctx.path, depth: 'infinity' }, parentOf(ctx.path)!],
    });
    await area.delete(ctx.path, members.source);
    await this.forgetTree(ctx, ctx.path);
    return { status: 204 };
  }

  async proppatch(ctx: DavContext): Promise<DavResponse> {
    const { body: ops, entry } = await this.preparer.prepare(ctx, {
      action: 'write',
      body: { xml: parseProppatch },
      resource: 'existing',
      conditions: true,
      targets: () => [ctx.path],
    });

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
    return { status: 207, headers: { 'Content-Type': XML_CONTENT_TYPE }, body };
  }

  async copyMove(ctx: DavContext): Promise<DavResponse> {
    const move = ctx.method === 'MOVE';
    const dest = destinationOf(ctx);
    const overwrite = parseOverwrite(ctx.headers.overwrite);
    // COPY: 0 or infinity; MOVE of a collection is always infinity (RFC 4918 §9.8.3, §9.9.2).
    const depth = parseDepth(ctx.headers.depth, 'infinity', move ? ['infinity'] : [0, 'infinity']);
    // rclone's owncloud vendor sends the source's time with a server-side copy or move too.
    const mtime = syncHeader(() => parseOcMtime(firstValue(ctx.headers['x-oc-mtime'])));
    let existing: StorageEntry | null = null;
    const { area, entry: source, members } = await this.preparer.prepare(ctx, {
      action: move ? 'delete' : 'read',
      destination: dest,
      // MOVE deletes each source member, COPY reads it; both write each target member.
      members: { source: move ? 'delete' : 'read', target: 'write' },
      refuse: () => {
        if (ctx.path === '/') throw new DomainError('forbidden', `the mount root cannot be ${move ? 'moved' : 'copied'}`);
        if (dest === ctx.path) throw new DomainError('forbidden', 'source and destination are the same resource');
        // Either inside the other: copying into itself never ends, and overwriting an ancestor
        // would delete the source before it is read.
        if (isWithinPath(dest, ctx.path) || isWithinPath(ctx.path, dest)) {
          throw new DomainError('forbidden', 'the destination lies inside the source, or the source inside the destination');
        }
      },
      resource: 'existing',
      check: async (_source, area) => {
        existing = await area.tryStat(dest);
        await requireParentCollection(area, dest);
        if (existing && !overwrite) throw new DomainError('precondition_failed', 'the destination exists and Overwrite is F');
      },
      conditions: true,
      targets: () => {
        const targets: Array<string | WriteTarget> = existing ? [{ path: dest, depth: 'infinity' }] : [dest, parentOf(dest)!];
        if (move) targets.push({ path: ctx.path, depth: 'infinity' }, parentOf(ctx.path)!);
        return targets;
      },
    });

    const account = ctx.principal.account.id;
    if (move) {
      await area.move(ctx.path, dest, members, { overwrite: true });
      await this.props.moveTree(account, ctx.mount.area, ctx.path, dest);
      await this.checksums.moveTree(account, ctx.mount.area, ctx.path, dest);
      // Locks stay with the URL they were taken on (RFC 4918 §7.7): the moved tree loses its own.
      await this.locks.removeWithin(account, ctx.mount.area, ctx.path);
    } else {
      const shallow = depth === 0 && source.type === 'directory';
      await area.copy(ctx.path, dest, members, { overwrite: true, shallow });
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
    const { before, after } = await this.storage.area(ctx.principal.account.id, ctx.mount.area).setModified(path, mtime);
    if (before.type === 'file') await this.checksums.carryToNewIdentity(ctx.principal.account.id, ctx.mount.area, before.path, before.etag, after.etag);
  }

  /** PROPPATCH of oc:checksums: true when every checksum it names is this file's own. */
  private async confirmsChecksums(ctx: DavContext, entry: StorageEntry, text: string): Promise<boolean> {
    const claims = parseChecksumList(text);
    if (typeof claims === 'string' || entry.type !== 'file') return false;
    const sums = await this.checksums.valid(ctx.principal.account.id, ctx.mount.area, entry.path, entry.etag);
    return sums !== null && contradictedClaim(claims, sums) === null;
  }
}

/**
 * What a WebDAV upload adds to a plain write: SHA-1 and MD5 computed as it streams (on a
 * worker thread, and costly per byte: only here, where `oc:checksums` shows them, never on the
 * file API), the client's modification time, and the check of its OC-Checksum before the file
 * replaces anything.
 */
function syncWriteOptions(mtime: Date | null, claimed: readonly ClaimedChecksum[] | null) {
  return {
    digests: UPLOAD_DIGESTS,
    ...(mtime ? { mtime } : {}),
    ...(claimed ? { verify: (r: { digests?: Partial<Record<string, string>> }) => verifyUpload(claimed, r.digests ?? {}) } : {}),
  };
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

function uniqueNames<T extends { ns: string; local: string }>(names: readonly T[]): T[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const key = qnameKey(n);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** An upload refused before its body was read: answer, then close rather than drain it. */
function withConnectionClose(err: unknown, body: Readable | null): unknown {
  if (!(err instanceof DomainError) || body === null || body.readableEnded) return err;
  return new DomainError(err.code, err.message, { ...err.headers, Connection: 'close' }, err.details);
}
