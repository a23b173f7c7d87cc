import fastifyCompress from '@fastify/compress';
import negotiate from '@fastify/accept-negotiator';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, RouteOptions } from 'fastify';
import { pipeline, type Readable } from 'node:stream';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';

/**
 * Response compression (issue 16).
 *
 * - **API answers** (JSON, XML — PROPFIND's multistatus included —, HTML, text, the OpenAPI
 *   document and Swagger UI's assets) are compressed by @fastify/compress when the client accepts
 *   br or gzip (`*` counts as gzip) and the body is at least COMPRESSION_THRESHOLD bytes. Streams
 *   (PROPFIND, large JSON) stay streams: zlib sits in the pipe, nothing is buffered whole.
 * - **Never**: already-compressed or binary media types (isCompressibleType), Range answers (206 or
 *   Content-Range: its offsets are of the unencoded bytes), request bodies (no decompression).
 * - **File content** (`@FileContent()` routes: the file API's download, WebDAV GET) is opted out of
 *   the plugin: a stored `.txt` or `.gz` is not an API answer. With COMPRESS_DOWNLOADS=true the
 *   handler encodes it itself (decideFileCoding / encodeFileContent), by the file's media type.
 * - **Validators** (RFC 9110 §8.8.1, §8.8.3): an encoded answer is another representation, so its
 *   strong ETag would be wrong. It is sent weak (`W/"…"`), as nginx does: If-None-Match compares
 *   weakly, so conditional GETs still answer 304; If-Match and If-Range compare strongly, so a weak
 *   tag never claims byte-for-byte identity (a client that wants a conditional PUT uses the strong
 *   tag of an unencoded answer or of PROPFIND's getetag).
 * - **HEAD** answers with the headers GET would: Fastify's automatic HEAD route runs the GET
 *   handler and then drops the body; that drop is moved after compression, so Content-Encoding,
 *   Vary and Content-Length (the encoded size, or none when streamed) are GET's.
 */

/** Bodies smaller than this are sent as they are: gzip's header and trailer alone are 18 bytes. */
export const COMPRESSION_THRESHOLD = 1024;

/** Bodies up to this size are compressed in one synchronous call (see registerCompression). */
const SYNC_THRESHOLD = 256 * 1024;

export type ContentCoding = 'br' | 'gzip';
/** Preference when the client weighs them equally: br is smaller at the quality used (4). */
const CODINGS: readonly ContentCoding[] = ['br', 'gzip'];

/** Route config key set by `@FileContent()`. */
const FILE_CONTENT = 'portcullisFileContent';
/** Route config key: COMPRESS_DOWNLOADS, copied onto file-content routes at registration. */
const FILE_CONTENT_CODING = 'portcullisFileContentCoding';

/**
 * Media types worth compressing: text, JSON, XML, JavaScript, SVG. Not event streams, not
 * octet-stream (a download whose type is unknown), nor images, audio, video, archives, PDFs or
 * Office documents, which are compressed already.
 */
export function isCompressibleType(contentType: string): boolean {
  // Asked twice for every answer (the plugin, then afterCompression), of a handful of distinct
  // header values: remembered, bounded (issue 18).
  let known = compressibleTypes.get(contentType);
  if (known === undefined) {
    known = decideCompressible(contentType);
    if (compressibleTypes.size >= 256) compressibleTypes.clear();
    compressibleTypes.set(contentType, known);
  }
  return known;
}

const compressibleTypes = new Map<string, boolean>();

function decideCompressible(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'text/event-stream') return false;
  if (type.startsWith('text/')) return true;
  return /^application\/(?:[\w.-]+\+)?(?:json|xml)$/.test(type) || type === 'application/javascript' || type === 'image/svg+xml';
}

/**
 * The coding to apply for this Accept-Encoding value: br or gzip, or null (none asked for, only
 * ones we do not offer, or identity preferred). `*` and `x-gzip` mean gzip, as @fastify/compress
 * reads them, so file content and API answers are negotiated alike.
 */
export function negotiateCoding(acceptEncoding: string | string[] | undefined): ContentCoding | null {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (!header) return null;
  const chosen = negotiate(header.toLowerCase().replace(/\*|x-gzip/g, 'gzip'), [...CODINGS, 'identity']);
  return chosen === 'br' || chosen === 'gzip' ? chosen : null;
}

/** `W/"…"` for a strong tag; a weak one stays as it is. */
export function weakEtag(etag: string): string {
  return etag.startsWith('W/') ? etag : `W/${etag}`;
}

/** Adds `Accept-Encoding` to the reply's Vary, once. */
export function varyOnAcceptEncoding(reply: FastifyReply): void {
  const current = reply.getHeader('vary');
  const values = current === undefined ? [] : String(current).split(',').map((v) => v.trim()).filter(Boolean);
  if (values.some((v) => v === '*' || v.toLowerCase() === 'accept-encoding')) return;
  reply.header('vary', [...values, 'Accept-Encoding'].join(', '));
}

/**
 * Marks a route that serves stored file content: @fastify/compress leaves it alone, and the
 * handler decides with decideFileCoding (COMPRESS_DOWNLOADS).
 */
export function FileContent(): MethodDecorator {
  return RouteConfig({ [FILE_CONTENT]: true });
}

export interface FileCodingDecision {
  /** The answer depends on Accept-Encoding (send `Vary: Accept-Encoding`, weaken the ETag if `coding`). */
  vary: boolean;
  /** The coding to apply, when the client accepts one and the body is worth it. */
  coding: ContentCoding | null;
  /** The ETag this answer (200 or 304 alike) carries for `etag`. */
  etag(etag: string): string;
}

/**
 * How a file's content is sent in answer to this GET/HEAD: identity unless COMPRESS_DOWNLOADS
 * is on, the file's media type is compressible and the request has no Range (a range is of the
 * stored bytes). The ETag is weak whenever the client accepts an encoding, whether or not this
 * file is large enough to be encoded: so a 304 (which knows the media type but not whether the 200
 * would have been encoded) carries the same validator the 200 would.
 */
export function decideFileCoding(req: FastifyRequest, file: { mediaType: string; size: number | null }): FileCodingDecision {
  const config = req.routeOptions.config as unknown as Record<string, unknown> | undefined;
  const identity: FileCodingDecision = { vary: false, coding: null, etag: (e) => e };
  if (config?.[FILE_CONTENT_CODING] !== true || !isCompressibleType(file.mediaType)) return identity;
  if (req.headers.range !== undefined) return { ...identity, vary: true };
  const accepted = negotiateCoding(req.headers['accept-encoding']);
  if (!accepted) return { ...identity, vary: true };
  return { vary: true, coding: file.size === null || file.size >= COMPRESSION_THRESHOLD ? accepted : null, etag: weakEtag };
}

/**
 * Announces the decision on a 200 (call after Content-Length is set): Vary, and for an encoded
 * body Content-Encoding without Content-Length (the encoded size is known only at the end).
 */
export function announceFileCoding(reply: FastifyReply, decision: FileCodingDecision): void {
  if (decision.vary) varyOnAcceptEncoding(reply);
  if (decision.coding) {
    reply.header('content-encoding', decision.coding);
    reply.removeHeader('content-length');
  }
}

/** The content, encoded as decided: zlib in the pipe (backpressure holds; nothing is buffered whole). */
export function encodeFileContent(content: Readable, coding: ContentCoding | null): Readable {
  if (!coding) return content;
  // Quality 4 for br, level 6 for gzip: what @fastify/compress uses for API answers.
  const encoder = coding === 'br' ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }) : createGzip();
  // Destroying the encoder (client gone) destroys the file stream, which closes the file.
  return pipeline(content, encoder, () => undefined);
}

/** What every routed answer needs before it is sent (the 401's challenge), if anything. */
export type EveryAnswer = (req: FastifyRequest, reply: FastifyReply) => void;

/**
 * Registers compression on the Fastify instance, before any route exists (hooks of `onRoute`
 * see only routes added after them): Nest's routes at init(), Swagger UI's.
 *
 * Each route gets ONE onSend hook (issue 18: the plugin's onRequest and onSend, afterCompression,
 * the challenge hook and the cookie hook were five hook calls on every answer): `everyAnswer`
 * first, then — where the route compresses — the plugin's onSend, only for a body it could encode
 * (a stream, or at least COMPRESSION_THRESHOLD bytes: below that it returns the body untouched),
 * then afterCompression. The plugin's onRequest only decorates `reply.compress()`, which the
 * service never calls: it is taken off.
 */
export async function registerCompression(fastify: FastifyInstance, options: { compressDownloads: boolean; everyAnswer?: EveryAnswer }): Promise<void> {
  const added = new WeakSet<object>();
  // Before the plugin's own onRoute hook, so that it already sees `compress: false`; and what the
  // route had, so that what the plugin appends can be told apart.
  fastify.addHook('onRoute', (route) => {
    const config = route.config as Record<string, unknown> | undefined;
    if (config?.[FILE_CONTENT] === true) {
      route.compress = false;
      route.config = { ...config, [FILE_CONTENT_CODING]: options.compressDownloads } as typeof route.config;
    }
    (route as Snapshot)[BEFORE] = { onRequest: asArray(route.onRequest).length, onSend: asArray(route.onSend).length };
  });
  await fastify.register(fastifyCompress, {
    global: true,
    // Request bodies are taken as sent: an upload with Content-Encoding is stored as it came.
    globalDecompression: false,
    encodings: [...CODINGS],
    threshold: COMPRESSION_THRESHOLD,
    customTypes: isCompressibleType,
    // Streaming every body over 8 KiB through zlib's thread pool (the plugin's default) cost
    // several times one synchronous call (bench/README.md, "Compression"). Up to 256 KiB (a few ms
    // of the event loop at most) is compressed so, with an exact Content-Length; larger bodies and
    // streams (PROPFIND, big listings) stay streamed.
    syncThreshold: SYNC_THRESHOLD,
    // A 256 KiB window instead of 4 MiB: API answers are smaller, and each answer's encoder
    // allocates its window.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_LGWIN]: 18 } },
  });
  // After the plugin's onRoute hook: its additions are replaced by the one hook.
  fastify.addHook('onRoute', (route) => {
    const before = (route as Snapshot)[BEFORE] ?? { onRequest: 0, onSend: 0 };
    const onRequest = asArray(route.onRequest);
    const onSend = asArray(route.onSend);
    for (const hook of [...onRequest.slice(before.onRequest), ...onSend.slice(before.onSend)]) added.add(hook);
    const pluginOnSend = route.compress === false ? undefined : onSend.slice(before.onSend).at(-1);
    // A HEAD route copies its GET's options: hooks inherited from there (the plugin's, this one) go too.
    route.onRequest = onRequest.filter((hook) => !added.has(hook));
    const kept = onSend.filter((hook) => !added.has(hook) && !(ANSWER in hook));
    const answer = answerHook(options.everyAnswer, pluginOnSend);
    added.add(answer);
    route.onSend = isMethod(route, 'HEAD') ? dropBodyLast([...kept, answer]) : [...kept, answer];
  });
}

const BEFORE = Symbol('hooksBeforeCompression');
type Snapshot = RouteOptions & { [BEFORE]?: { onRequest: number; onSend: number } };
const ANSWER = Symbol('answerHook');

function answerHook(everyAnswer: EveryAnswer | undefined, pluginOnSend: onSendHookHandler | undefined): onSendHookHandler {
  const hook: onSendHookHandler = pluginOnSend
    ? function portcullisOnSend(req, reply, payload, done) {
        everyAnswer?.(req, reply);
        if (!mayEncode(payload)) {
          afterCompression(reply, payload);
          return done(null, payload);
        }
        (pluginOnSend as (...args: unknown[]) => unknown)(req, reply, payload, (err: Error | null, encoded?: unknown) => {
          if (err) return done(err);
          const sent = encoded === undefined ? payload : encoded;
          afterCompression(reply, sent);
          done(null, sent);
        });
      }
    : function portcullisOnSend(req, reply, payload, done) {
        everyAnswer?.(req, reply);
        done(null, payload);
      };
  return Object.assign(hook, { [ANSWER]: true });
}

/** Whether the plugin could encode this body: not when nothing, or a string or buffer under the threshold. */
function mayEncode(payload: unknown): boolean {
  if (payload === null || payload === undefined) return false;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return Buffer.byteLength(payload) >= COMPRESSION_THRESHOLD;
  return true;
}

/**
 * After the plugin decided: an encoded answer is not the strong ETag's representation (weakened),
 * and an answer the plugin would have encoded for another client says so (Vary), so that a
 * cache keys on Accept-Encoding whichever came first.
 */
function afterCompression(reply: FastifyReply, payload: unknown): void {
  const encoding = reply.getHeader('content-encoding');
  if (encoding !== undefined && encoding !== 'identity') {
    const etag = reply.getHeader('etag');
    if (typeof etag === 'string') reply.header('etag', weakEtag(etag));
  } else if (encodable(reply, payload)) {
    varyOnAcceptEncoding(reply);
  }
}

/** What the plugin encodes when asked: a compressible type, not a range, a stream or enough bytes. */
function encodable(reply: FastifyReply, payload: unknown): boolean {
  if (payload === null || payload === undefined || reply.statusCode === 206 || reply.hasHeader('content-range')) return false;
  if (!isCompressibleType(String(reply.getHeader('content-type') ?? 'application/json'))) return false;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return Buffer.byteLength(payload) >= COMPRESSION_THRESHOLD;
  return typeof (payload as { pipe?: unknown }).pipe === 'function';
}

/**
 * Fastify's automatic HEAD route drops the GET handler's body in an onSend hook placed before the
 * route's own (the plugin's compression among them), which would see no body and leave HEAD
 * answering the unencoded length. Moved last, HEAD answers what GET does.
 */
function dropBodyLast(hooks: onSendHookHandler[]): onSendHookHandler[] {
  const drop = hooks.findIndex((h) => h.name === 'headRouteOnSendHandler');
  if (drop < 0) return hooks;
  return [...hooks.slice(0, drop), ...hooks.slice(drop + 1), hooks[drop]!];
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function isMethod(route: RouteOptions, method: string): boolean {
  return Array.isArray(route.method) ? route.method.includes(method as never) : route.method === method;
}
