import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { DomainError } from '../../errors/domain-error.js';
import { httpDate } from '../date-text.js';
import { announceFileCoding, decideFileCoding, encodeFileContent, varyOnAcceptEncoding } from './compression.js';
import { conditionalHeaders, decideRange, evaluateConditions, firstValue, ifRangeAllows } from './conditional.js';

/**
 * Content up to this size is read into one buffer of its size in one read (ReadHandle.read)
 * rather than streamed: a stream costs a 1 MiB chunk buffer and several thread-pool hops, the
 * largest cost of a small GET.
 */
export const SMALL_FILE_BYTES = 64 * 1024;

/** What serveFile needs of an open file (the storage's ReadHandle): validators and content, taken once. */
export interface ServableFile {
  readonly entry: { readonly etag: string; readonly modified: Date; readonly size: number };
  stream(range?: { start: number; end: number }): Readable;
  read(range?: { start: number; end: number }): Promise<Buffer>;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** The file's media type by its name: decides compression (COMPRESS_DOWNLOADS). */
  readonly mediaType: string;
  /** The Content-Type sent with the content; the media type unless a download says otherwise. */
  readonly contentType?: string;
  /** Sent with every answer, 304 included (e.g. Cache-Control). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent with the content only, 200 and 206 (e.g. Content-Disposition, a sandboxing CSP). */
  readonly contentHeaders?: Readonly<Record<string, string>>;
}

/** A file's answer to GET or HEAD, before the content coding (sendFile decides that). */
export interface FileAnswer {
  readonly kind: 'file';
  readonly status: 200 | 206 | 304;
  readonly headers: Readonly<Record<string, string | number>>;
  /** The content; null for HEAD and 304. */
  readonly body: Buffer | Readable | null;
  /** The strong ETag of the stored bytes (sendFile weakens it for an encoded answer). */
  readonly etag: string;
  readonly mediaType: string;
  readonly size: number;
}

/**
 * A stored file's answer to GET or HEAD (RFC 9110), for the file API's download and WebDAV alike:
 * the conditional headers in §13.2.2's order (304, or 412 `precondition_failed`), then one byte
 * range (§14; If-Range, 206, or 416 `range_not_satisfiable` whose Content-Range names the size).
 * Validators and content come from one open file, so the ETag sent always describes the bytes
 * sent. Takes the file: it is closed here unless the returned stream now owns it.
 */
export async function serveFile(file: ServableFile, request: { method: string; headers: IncomingHttpHeaders }, options: ServeOptions): Promise<FileAnswer> {
  const { entry } = file;
  const answer = (status: FileAnswer['status'], headers: FileAnswer['headers'], body: FileAnswer['body'] = null): FileAnswer => ({
    kind: 'file',
    status,
    headers,
    body,
    etag: entry.etag,
    mediaType: options.mediaType,
    size: entry.size,
  });
  try {
    const validators = { ETag: entry.etag, 'Last-Modified': httpDate(entry.modified), 'Accept-Ranges': 'bytes', ...options.headers };
    const outcome = evaluateConditions(conditionalHeaders(request.headers), entry, true);
    if (outcome === 'failed') throw new DomainError('precondition_failed', 'a precondition of the request does not hold');
    if (outcome === 'not_modified') {
      await file.close();
      return answer(304, validators);
    }
    const range = ifRangeAllows(firstValue(request.headers['if-range']), entry.etag, entry.modified) ? decideRange(firstValue(request.headers.range), entry.size) : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable') {
      throw new DomainError('range_not_satisfiable', `the range lies outside the file's ${entry.size} bytes`, { 'Content-Range': `bytes */${entry.size}` });
    }
    const part = range.kind === 'partial' ? { start: range.start, end: range.end } : undefined;
    const length = part ? part.end - part.start + 1 : entry.size;
    const headers = {
      ...validators,
      'Content-Type': options.contentType ?? options.mediaType,
      ...options.contentHeaders,
      ...(part ? { 'Content-Range': `bytes ${part.start}-${part.end}/${entry.size}` } : {}),
      'Content-Length': length,
    };
    const status = part ? 206 : 200;
    if (request.method === 'HEAD') {
      await file.close();
      return answer(status, headers);
    }
    return answer(status, headers, length <= SMALL_FILE_BYTES ? await file.read(part) : file.stream(part));
  } catch (err) {
    await file.close(); // nothing once the content was taken
    throw err;
  }
}

/**
 * Sends a FileAnswer on a `@FileContent()` route: the content coding (COMPRESS_DOWNLOADS: Vary,
 * a weak ETag, br or gzip on a 200 — never a range) and HEAD's empty body that keeps GET's headers.
 */
export async function sendFile(req: FastifyRequest, reply: FastifyReply, answer: FileAnswer): Promise<void> {
  const coding = decideFileCoding(req, { mediaType: answer.mediaType, size: answer.size });
  reply.code(answer.status).headers(answer.headers).header('etag', coding.etag(answer.etag));
  if (answer.status === 200) announceFileCoding(reply, coding);
  else if (answer.status === 304 && coding.vary) varyOnAcceptEncoding(reply);
  if (answer.body === null) {
    // HEAD: an empty stream, not an empty body: Fastify would reset Content-Length to 0 for that.
    await reply.send(answer.status === 304 ? undefined : Readable.from([]));
    return;
  }
  if (answer.status === 200 && coding.coding) {
    const content = Buffer.isBuffer(answer.body) ? Readable.from([answer.body], { objectMode: false }) : answer.body;
    await reply.send(encodeFileContent(content, coding.coding));
    return;
  }
  await reply.send(answer.body);
}
