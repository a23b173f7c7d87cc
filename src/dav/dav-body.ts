import type { Readable } from 'node:stream';
import { DomainError } from '../errors/domain-error.js';

/** XML request bodies (PROPFIND, PROPPATCH, LOCK) larger than this are refused with 413. */
export const MAX_XML_BODY_BYTES = 1024 * 1024;

/**
 * Reads a small request body whole (the DAV routes get their bodies unparsed, see DavModule),
 * refusing with 413 as soon as it passes `limit`: the announced Content-Length is checked before
 * a byte is read, a chunked body while it arrives. The refusal closes the connection rather than
 * reading the rest of a huge body just to keep it alive.
 */
export async function readLimitedBody(body: Readable | null, contentLength: string | undefined, limit: number = MAX_XML_BODY_BYTES): Promise<Buffer> {
  const tooLarge = () => new DomainError('payload_too_large', `the request body exceeds ${limit} bytes`, { Connection: 'close' });
  if (contentLength !== undefined && Number(contentLength) > limit) throw tooLarge();
  if (body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) throw tooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

/** Whether a request announces a body (RFC 9112 §6.3): a Transfer-Encoding, or a non-zero length. */
export function hasBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}
