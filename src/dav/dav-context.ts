import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Principal } from '../auth/principal.js';
import type { FileAnswer } from '../common/http/serve-file.js';
import { DomainError } from '../errors/domain-error.js';
import { normalizeUserPath, StoragePathError } from '../storage/core/storage-path.js';
import { DavPathError, decodeMountPath, mountOfPath, mountRelative } from './core/dav-path.js';
import { type ActiveLock, type DavLock, describeLock } from './core/locks.js';
import { isSameServer, type RequestOrigin } from './core/same-server.js';
import { parseDestination } from './core/transfer-headers.js';
import { DAV_MOUNTS, type DavMount, hrefOf } from './dav-mount.js';

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
  readonly kind?: undefined;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: string | Readable;
}

/** A method's answer: a DAV answer, or a stored file's content (GET/HEAD, sent by sendFile). */
export type DavAnswer = DavResponse | FileAnswer;

export const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** `Allow` of what is at a URL (OPTIONS, and with a 405). */
export const ALLOW = {
  missing: 'OPTIONS, MKCOL, PUT, LOCK',
  file: 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, LOCK, UNLOCK',
  collection: 'OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, LOCK, UNLOCK',
} as const;

/**
 * The canonical path inside `mount` for a request URL path (still percent-encoded), or a 400:
 * every spelling of a path (`%2e`, `//`, `/./`) becomes the one the storage and the ACL use,
 * and `..` in any spelling is refused.
 */
export function davPathOf(mount: DavMount, rawPath: string): string {
  try {
    return normalizeUserPath(decodeMountPath(mount.prefix, rawPath));
  } catch (err) {
    throw pathError(err);
  }
}

/**
 * The Destination header (RFC 4918 §10.3) as a path inside this mount. Another host, or
 * another mount of ours (another storage area, or the same area under other credentials), is
 * 502 Bad Gateway (§9.8.5); `..` or a malformed URI is 400. User info in it is ignored
 * (parseDestination drops it); for a client on this machine, every loopback name with our
 * port is this server (same-server.ts). The message names the request's own host, never
 * what the Destination holds.
 */
export function destinationOf(ctx: DavContext): string {
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

/** How the request reached us, `host` as the caller compares it. */
export function originOf(ctx: DavContext, host: string): RequestOrigin {
  return { host, scheme: ctx.url.startsWith('https:') ? 'https' : 'http', loopbackClient: ctx.loopbackClient };
}

/** A lock as lockdiscovery shows it, its root as a URL path of this mount. */
export function lockOnMount(ctx: DavContext, lock: DavLock, now: number = Date.now()): ActiveLock {
  return describeLock({ ...lock, root: hrefOf(ctx.mount, lock.root, false) }, now);
}

function pathError(err: unknown): unknown {
  if (err instanceof DavPathError) return new DomainError(err.reason === 'dot_dot' ? 'path_escape' : 'path_invalid', err.message);
  if (err instanceof StoragePathError) return new DomainError(err.code, err.message);
  return err;
}
