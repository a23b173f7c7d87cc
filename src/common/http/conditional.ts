/**
 * HTTP range and conditional-request rules (RFC 9110 §13, §14) as pure functions, for every
 * route that serves file content (the file API's download, WebDAV GET).
 */

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

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** If-None-Match (weak comparison): true when the client's copy is current, so 304 for GET/HEAD. */
export function noneMatchSatisfied(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const tags = parseEntityTags(header);
  if (tags === '*') return true;
  return tags.some((t) => opaque(t) === opaque(etag));
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

/**
 * `Content-Disposition: attachment` with the name both as a plain ASCII fallback and as RFC 8187
 * UTF-8, so every browser saves the file under its real name and no header injection is possible.
 */
export function attachmentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'download';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
