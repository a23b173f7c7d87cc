/**
 * HTTP conditional requests (RFC 9110 §13.2.2) for WebDAV methods, in the order the RFC gives:
 * If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. Pure: the caller passes the
 * resource's current validators (null when nothing is at the URL).
 */
import { parseEntityTags } from '../../common/http/conditional.js';

export interface ConditionalHeaders {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
  readonly ifUnmodifiedSince?: string;
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
 * `safe` is true for GET and HEAD: a matching If-None-Match or an unchanged If-Modified-Since
 * is then 304 rather than 412, and If-Modified-Since is only read for them (§13.1.3).
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
