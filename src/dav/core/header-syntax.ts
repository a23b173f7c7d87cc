/**
 * What the WebDAV request-header parsers (RFC 4918 §10) share: the 400 they refuse with, and the
 * URI syntax several headers carry.
 *
 * Every parser refuses what it cannot read exactly with a `DavHeaderError` (400): a header
 * read "roughly" is how a lock check or a path check ends up judging a different request from
 * the one that is carried out. Header values arrive as Node gives them; a header sent twice
 * (an array) is refused for the single-valued ones.
 */

export type DavHeaderName = 'If' | 'Depth' | 'Timeout' | 'Overwrite' | 'Destination' | 'Lock-Token';

export class DavHeaderError extends Error {
  readonly status = 400;

  constructor(
    readonly header: DavHeaderName,
    readonly reason: string,
  ) {
    super(`malformed ${header} header: ${reason}`);
    this.name = 'DavHeaderError';
  }
}

export type HeaderValue = string | readonly string[] | undefined;

/** The one value of a single-valued header; sent twice, it is refused. */
export function singleHeader(header: DavHeaderName, value: HeaderValue): string | undefined {
  if (typeof value === 'string' || value === undefined) return value;
  if (value.length > 1) throw new DavHeaderError(header, 'sent more than once');
  return value[0];
}

// RFC 3986 absolute-URI: scheme ":" then URI characters (no fragment).
export const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~!$&'()*+,;=:@/?%[\]]*$/;
// path-absolute ["?" query]: one "/" then URI characters, not "//" (that would name a host).
export const PATH_ABSOLUTE = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
export const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
