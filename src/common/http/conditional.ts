/**
 * HTTP range and conditional-request rules (RFC 9110 §13, §14) as pure functions: for serveFile
 * (the file API's download, WebDAV GET and HEAD) and for WebDAV's changes (If-Match on a PUT).
 */
import type { IncomingHttpHeaders } from 'node:http';

export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;

/**
 * What a `Range` header asks of a representation of `size` bytes. A header that is absent, not
 * a byte range, or several ranges is answered with the whole content (a server may ignore Range,
 * and multipart/byteranges buys clients nothing here); a well-formed range that misses the
 * content entirely is `unsatisfiable` (416).
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = SINGLE_RANGE.exec(header);
  if (!m) return { kind: 'full' };
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'full' };
  // Over 15 digits is beyond any file size (and beyond exact doubles): a start that far is past
  // the end, a last position or suffix that long covers everything.
  if (first.length > 15) return { kind: 'unsatisfiable' };
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = last.length > 15 ? Infinity : Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const lastPos = last === '' || last.length > 15 ? Infinity : Number(last);
  if (lastPos < start) return { kind: 'full' }; // invalid, so ignored (RFC 9110 §14.1.1)
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(lastPos, size - 1) };
}

/** Entity tags listed in an If-Match / If-None-Match value; `*` as the single string '*'. */
export function parseEntityTags(header: string): string[] | '*' {
  if (header.trim() === '*') return '*';
  // Quoted tags may contain commas, so they are matched rather than split on ','.
  return header.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

/**
 * If-Range: the range applies only when the validator still matches (strong comparison for an
 * entity tag; an HTTP date must equal Last-Modified exactly). Otherwise the whole content is sent.
 */
export function ifRangeAllows(header: string | undefined, etag: string, lastModified: Date): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return !value.startsWith('W/') && !etag.startsWith('W/') && value === etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(lastModified.getTime() / 1000) * 1000 === date;
}

export interface ConditionalHeaders {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
  readonly ifUnmodifiedSince?: string;
}

/** The four conditional headers of a request (the first value of a header sent twice). */
export function conditionalHeaders(h: IncomingHttpHeaders): ConditionalHeaders {
  return {
    ifMatch: firstValue(h['if-match']),
    ifNoneMatch: firstValue(h['if-none-match']),
    ifModifiedSince: firstValue(h['if-modified-since']),
    ifUnmodifiedSince: firstValue(h['if-unmodified-since']),
  };
}

export interface Validators {
  readonly etag: string;
  readonly modified: Date;
}

/** `proceed`; `not_modified` → 304 (GET/HEAD only); `failed` → 412. */
export type ConditionOutcome = 'proceed' | 'not_modified' | 'failed';

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);
/** HTTP dates have whole seconds; a file's mtime has more. */
const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

function parseDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/**
 * The conditional headers in the order RFC 9110 §13.2.2 gives: If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since, against the resource's current validators (null when nothing
 * is at the URL). `safe` is true for GET and HEAD: a matching If-None-Match or an unchanged
 * If-Modified-Since is then 304 rather than 412, and If-Modified-Since is only read for them
 * (§13.1.3).
 */
export function evaluateConditions(h: ConditionalHeaders, current: Validators | null, safe: boolean): ConditionOutcome {
  if (h.ifMatch !== undefined) {
    if (current === null) return 'failed';
    const tags = parseEntityTags(h.ifMatch);
    // Strong comparison: a weak tag never matches (§13.1.1).
    if (tags !== '*' && !tags.some((t) => !t.startsWith('W/') && !current.etag.startsWith('W/') && t === current.etag)) return 'failed';
  } else if (current !== null) {
    const since = parseDate(h.ifUnmodifiedSince);
    if (since !== null && seconds(current.modified) > since) return 'failed';
  }

  if (h.ifNoneMatch !== undefined) {
    const tags = parseEntityTags(h.ifNoneMatch);
    const matches = current !== null && (tags === '*' || tags.some((t) => opaque(t) === opaque(current.etag)));
    if (matches) return safe ? 'not_modified' : 'failed';
  } else if (safe && current !== null) {
    const since = parseDate(h.ifModifiedSince);
    if (since !== null && seconds(current.modified) <= since) return 'not_modified';
  }
  return 'proceed';
}

/** A header's value; of one sent twice, the first. */
export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
