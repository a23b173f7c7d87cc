import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors/domain-error.js';
import { type FileAnswer, type ServableFile, serveFile, SMALL_FILE_BYTES } from './serve-file.js';

const modified = new Date('2025-03-04T05:06:07.890Z');
const ETAG = '"abc"';

/** An open file over `content`, recording how its content was taken and whether it was closed. */
function fileOf(content: Buffer) {
  const taken: string[] = [];
  const file: ServableFile & { taken: string[] } = {
    taken,
    entry: { etag: ETAG, modified, size: content.length },
    stream(range) {
      taken.push(range ? `stream ${range.start}-${range.end}` : 'stream');
      return Readable.from([content.subarray(range?.start ?? 0, (range?.end ?? content.length - 1) + 1)]);
    },
    async read(range) {
      taken.push(range ? `read ${range.start}-${range.end}` : 'read');
      return content.subarray(range?.start ?? 0, (range?.end ?? content.length - 1) + 1);
    },
    async close() {
      taken.push('close');
    },
  };
  return file;
}

const TEXT = Buffer.from('0123456789abcdefghij');
const serve = (headers: Record<string, string> = {}, method = 'GET', file = fileOf(TEXT)) =>
  serveFile(file, { method, headers }, { mediaType: 'text/plain; charset=utf-8', headers: { 'Cache-Control': 'private' }, contentHeaders: { 'X-Only-With-Content': '1' } });

async function bytesOf(answer: FileAnswer): Promise<string> {
  if (answer.body === null) return '';
  if (Buffer.isBuffer(answer.body)) return answer.body.toString();
  const chunks: Buffer[] = [];
  for await (const c of answer.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

async function refusal(run: Promise<unknown>): Promise<DomainError> {
  const err = await run.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return err;
}

describe('serveFile', () => {
  it('answers 200 with validators, the content type, its headers and the whole content', async () => {
    const file = fileOf(TEXT);
    const answer = await serve({}, 'GET', file);
    expect(answer).toMatchObject({ kind: 'file', status: 200, etag: ETAG, size: 20, mediaType: 'text/plain; charset=utf-8' });
    expect(answer.headers).toEqual({
      ETag: ETAG,
      'Last-Modified': modified.toUTCString(),
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'private',
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Only-With-Content': '1',
      'Content-Length': 20,
    });
    expect(await bytesOf(answer)).toBe(TEXT.toString());
  });

  it('reads small content into one buffer, streams larger content', async () => {
    const small = fileOf(TEXT);
    expect(Buffer.isBuffer((await serve({}, 'GET', small)).body)).toBe(true);
    expect(small.taken).toEqual(['read']);
    const large = fileOf(Buffer.alloc(SMALL_FILE_BYTES + 1, 'x'));
    const answer = await serve({}, 'GET', large);
    expect(answer.body).toBeInstanceOf(Readable);
    expect(large.taken).toEqual(['stream']);
    expect((await bytesOf(answer)).length).toBe(SMALL_FILE_BYTES + 1);
    // A small range of a large file is read, not streamed.
    const ranged = fileOf(Buffer.alloc(SMALL_FILE_BYTES * 4, 'y'));
    expect(Buffer.isBuffer((await serve({ range: 'bytes=0-99' }, 'GET', ranged)).body)).toBe(true);
    expect(ranged.taken).toEqual(['read 0-99']);
  });

  it.each([
    ['bytes=5-9', 'bytes 5-9/20', '56789'],
    ['bytes=-3', 'bytes 17-19/20', 'hij'],
    ['bytes=15-', 'bytes 15-19/20', 'fghij'],
    ['bytes=18-1000', 'bytes 18-19/20', 'ij'],
  ])('answers Range %s with 206 and %s', async (range, contentRange, bytes) => {
    const answer = await serve({ range });
    expect(answer.status).toBe(206);
    expect(answer.headers['Content-Range']).toBe(contentRange);
    expect(answer.headers['Content-Length']).toBe(bytes.length);
    expect(await bytesOf(answer)).toBe(bytes);
  });

  it('refuses a range outside the file with 416 naming the size, and closes the file', async () => {
    const file = fileOf(TEXT);
    const err = await refusal(serve({ range: 'bytes=20-30' }, 'GET', file));
    expect(err.code).toBe('range_not_satisfiable');
    expect(err.headers['Content-Range']).toBe('bytes */20');
    expect(file.taken).toEqual(['close']);
  });

  it('sends the whole content when If-Range no longer matches, or the Range is not one byte range', async () => {
    expect((await serve({ range: 'bytes=0-4', 'if-range': ETAG })).status).toBe(206);
    expect((await serve({ range: 'bytes=0-4', 'if-range': '"stale"' })).status).toBe(200);
    expect((await serve({ range: 'bytes=0-1,5-6' })).status).toBe(200);
  });

  it('answers 304 with the validators only (If-None-Match, If-Modified-Since), and closes the file', async () => {
    const revalidations: Array<Record<string, string>> = [{ 'if-none-match': ETAG }, { 'if-none-match': `"x", W/${ETAG}` }, { 'if-modified-since': modified.toUTCString() }];
    for (const headers of revalidations) {
      const file = fileOf(TEXT);
      const answer = await serve(headers, 'GET', file);
      expect(answer.status).toBe(304);
      expect(answer.body).toBeNull();
      expect(answer.headers).toEqual({ ETag: ETAG, 'Last-Modified': modified.toUTCString(), 'Accept-Ranges': 'bytes', 'Cache-Control': 'private' });
      expect(file.taken).toEqual(['close']);
    }
    expect((await serve({ 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('refuses with 412 when If-Match or If-Unmodified-Since does not hold', async () => {
    expect((await refusal(serve({ 'if-match': '"other"' }))).code).toBe('precondition_failed');
    expect((await refusal(serve({ 'if-match': `W/${ETAG}` }))).code).toBe('precondition_failed');
    expect((await refusal(serve({ 'if-unmodified-since': new Date(modified.getTime() - 10_000).toUTCString() }))).code).toBe('precondition_failed');
    expect((await serve({ 'if-match': ETAG })).status).toBe(200);
  });

  it('answers HEAD with the headers GET would send and no content, and closes the file', async () => {
    const file = fileOf(TEXT);
    const head = await serve({ range: 'bytes=0-4' }, 'HEAD', file);
    expect(head.status).toBe(206);
    expect(head.headers['Content-Length']).toBe(5);
    expect(head.body).toBeNull();
    expect(file.taken).toEqual(['close']);
  });
});
