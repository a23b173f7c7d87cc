/**
 * 207 Multi-Status bodies (RFC 4918 §13, §14.16), written one `<D:response>` at a time so that
 * a Depth: infinity PROPFIND over a large tree streams instead of being built in memory.
 *
 * Namespaces: `DAV:` is bound to `D` once, on the root, and never rebound by this writer. Any
 * other property namespace gets a prefix (`ns0`, `ns1`, ... stable for the writer's life)
 * declared on the property element itself, so every chunk stands on its own. No default
 * namespace is ever declared, so an unprefixed name is in no namespace (`QName.ns === ''`).
 *
 * A `valueXml` is inserted as it is: it must be well-formed content that declares what it
 * uses, as `parseProppatch` produces; it may also use the `D:` prefix for `DAV:`, which is
 * how the live-property helpers below write theirs.
 */
import { httpDate, isoDateSeconds } from '../../common/date-text.js';
import type { ActiveLock } from './locks.js';
import { DAV_NS, davName, escapeXmlAttr, escapeXmlText, isNcName, type QName, XML_NS } from './xml-common.js';

export { DAV_NS, davName, type QName } from './xml-common.js';

export interface PropValue {
  readonly name: QName;
  /** Content of the property element; omitted or '' for an empty element (e.g. in a 404 propstat). */
  readonly valueXml?: string;
  /** `xml:lang` to put on the property element (from `PropPatchOp.lang`). */
  readonly lang?: string | null;
}

export interface PropStat {
  readonly status: number;
  readonly props: readonly PropValue[];
  /** A `DAV:` precondition or postcondition for this propstat (RFC 4918 §14.22, §16). */
  readonly error?: string;
}

const XML_DECL = '<?xml version="1.0" encoding="utf-8"?>\n';

export class MultistatusWriter {
  private readonly prefixes = new Map<string, string>();
  private state: 'new' | 'open' | 'ended' = 'new';

  start(): string {
    this.expect('new', 'start');
    this.state = 'open';
    return `${XML_DECL}<D:multistatus xmlns:D="DAV:">`;
  }

  /**
   * One resource with its properties grouped by status. `href` is the decoded path (e.g.
   * `/dav/My files/ä.txt`, with a trailing `/` for a collection); it is percent-encoded here.
   * Empty propstats are left out; a response needs at least one, so if none is left an empty
   * 200 propstat is written.
   */
  response(href: string, propstats: readonly PropStat[]): string {
    this.expect('open', 'response');
    const parts = ['<D:response><D:href>', escapeXmlText(encodeHref(href)), '</D:href>'];
    const nonEmpty = propstats.filter((ps) => ps.props.length > 0);
    for (const ps of nonEmpty.length > 0 ? nonEmpty : [{ status: 200, props: [] }]) {
      parts.push('<D:propstat><D:prop>');
      for (const prop of ps.props) parts.push(this.property(prop));
      parts.push('</D:prop><D:status>', statusLine(ps.status), '</D:status>');
      if (ps.error !== undefined) parts.push(errorElement(ps.error));
      parts.push('</D:propstat>');
    }
    parts.push('</D:response>');
    return parts.join('');
  }

  /**
   * A response carrying only a status (RFC 4918 §14.24), as DELETE, COPY, MOVE and LOCK use for
   * the member that failed, with an optional precondition (e.g. `lock-token-submitted`).
   */
  statusResponse(href: string, status: number, error?: string): string {
    this.expect('open', 'statusResponse');
    const err = error === undefined ? '' : errorElement(error);
    const hrefXml = escapeXmlText(encodeHref(href));
    return `<D:response><D:href>${hrefXml}</D:href><D:status>${statusLine(status)}</D:status>${err}</D:response>`;
  }

  end(): string {
    this.expect('open', 'end');
    this.state = 'ended';
    return '</D:multistatus>';
  }

  private expect(state: MultistatusWriter['state'], call: string): void {
    // A programming error in the caller; failing loudly beats streaming a broken document.
    if (this.state !== state) throw new Error(`MultistatusWriter.${call}() called when ${this.state}`);
  }

  private property({ name, valueXml, lang }: PropValue): string {
    const { qname, declaration } = this.nameOf(name);
    const langAttr = lang ? ` xml:lang="${escapeXmlAttr(lang)}"` : '';
    const open = `<${qname}${declaration}${langAttr}`;
    return valueXml ? `${open}>${valueXml}</${qname}>` : `${open}/>`;
  }

  private nameOf(name: QName): { qname: string; declaration: string } {
    if (!isNcName(name.local)) throw new TypeError(`not an XML name: ${JSON.stringify(name.local)}`);
    if (name.ns === DAV_NS) return { qname: `D:${name.local}`, declaration: '' };
    if (name.ns === '') return { qname: name.local, declaration: '' };
    if (name.ns === XML_NS) return { qname: `xml:${name.local}`, declaration: '' }; // may not be redeclared
    let prefix = this.prefixes.get(name.ns);
    if (prefix === undefined) this.prefixes.set(name.ns, (prefix = `ns${this.prefixes.size}`));
    return { qname: `${prefix}:${name.local}`, declaration: ` xmlns:${prefix}="${escapeXmlAttr(name.ns)}"` };
  }
}

function errorElement(condition: string): string {
  if (!isNcName(condition)) throw new TypeError(`not an XML name: ${JSON.stringify(condition)}`);
  return `<D:error><D:${condition}/></D:error>`;
}

/**
 * The body of an error response with a `DAV:` precondition (RFC 4918 §16), e.g.
 * `davErrorXml('lock-token-submitted', ['/dav/locked/'])`. `hrefs` (decoded paths) go inside
 * the condition element, as §16 shows for lock-token-submitted and no-conflicting-lock.
 */
export function davErrorXml(precondition: string, hrefs: readonly string[] = []): string {
  if (!isNcName(precondition)) throw new TypeError(`not an XML name: ${JSON.stringify(precondition)}`);
  const inner = hrefs.map((h) => `<D:href>${escapeXmlText(encodeHref(h))}</D:href>`).join('');
  const condition = inner === '' ? `<D:${precondition}/>` : `<D:${precondition}>${inner}</D:${precondition}>`;
  return `<D:error xmlns:D="DAV:">${condition}</D:error>`;
}

/**
 * Percent-encodes a decoded absolute path for an href, segment by segment, keeping `/`.
 * Everything but RFC 3986 unreserved characters and `!*'()` is encoded: notably `;`, which the
 * matrix-parameter stripping in front of routing would otherwise cut off when the client
 * requests the href it was given, and `%`, `?` and `#`, which would change the URL's meaning.
 */
export function encodeHref(path: string): string {
  if (!path.startsWith('/')) throw new TypeError(`href must be an absolute path: ${JSON.stringify(path)}`);
  // A name with a lone surrogate (e.g. from a non-UTF-8 file name) cannot be encoded as
  // UTF-8; U+FFFD keeps the listing alive rather than failing the whole multistatus mid-stream.
  return path
    .toWellFormed()
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/** `HTTP/1.1 404 Not Found`, the form `<D:status>` holds (RFC 4918 §14.28). */
export function statusLine(status: number): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`bad status ${status}`);
  return `HTTP/1.1 ${status} ${REASONS[status] ?? ''}`.trimEnd();
}

// ---------------------------------------------------------------------------------------------
// Live properties (RFC 4918 §15)

const prop = (local: string, valueXml: string): PropValue => ({ name: davName(local), valueXml });

const LOCK_ENTRY = (scope: 'exclusive' | 'shared') =>
  `<D:lockentry><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>`;

function validDate(date: Date): Date {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  return date;
}

function activeLockXml(lock: ActiveLock): string {
  const timeout =
    lock.timeoutSeconds === 'infinite' ? 'Infinite' : `Second-${Math.max(0, Math.ceil(lock.timeoutSeconds))}`;
  return (
    // Children in the DTD's order (RFC 4918 §14.1): some clients read them by position.
    '<D:activelock>' +
    `<D:lockscope><D:${lock.scope}/></D:lockscope><D:locktype><D:write/></D:locktype>` +
    `<D:depth>${lock.depth === 0 ? '0' : 'infinity'}</D:depth>` +
    (lock.owner === null ? '' : `<D:owner>${lock.owner}</D:owner>`) +
    `<D:timeout>${timeout}</D:timeout>` +
    `<D:locktoken><D:href>${escapeXmlText(lock.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escapeXmlText(encodeHref(lock.root))}</D:href></D:lockroot>` +
    '</D:activelock>'
  );
}

export const liveProps = {
  /** RFC 1123 date (`Tue, 15 Nov 1994 08:12:31 GMT`), as §15.7 requires. */
  getlastmodified: (date: Date): PropValue => prop('getlastmodified', httpDate(validDate(date))),

  /**
   * RFC 3339 date-time (§15.1), in UTC and without fractional seconds: some clients parse only
   * the `1997-12-01T17:42:21Z` shape the RFC's examples show.
   */
  creationdate: (date: Date): PropValue =>
    prop('creationdate', isoDateSeconds(validDate(date))),

  getcontentlength: (bytes: number | bigint): PropValue => {
    if (typeof bytes === 'number' && !(Number.isSafeInteger(bytes) && bytes >= 0)) {
      throw new RangeError(`bad content length ${bytes}`);
    }
    if (typeof bytes === 'bigint' && bytes < 0n) throw new RangeError(`bad content length ${bytes}`);
    return prop('getcontentlength', String(bytes));
  },

  /** `etag` as sent in the ETag header, quotes included (`"abc"` or `W/"abc"`). */
  getetag: (etag: string): PropValue => prop('getetag', escapeXmlText(etag)),

  resourcetype: (isCollection: boolean): PropValue => prop('resourcetype', isCollection ? '<D:collection/>' : ''),

  getcontenttype: (mediaType: string): PropValue => prop('getcontenttype', escapeXmlText(mediaType)),

  displayname: (name: string): PropValue => prop('displayname', escapeXmlText(name)),

  /** Write locks, exclusive and shared: what `locks.ts` implements. */
  supportedlock: (): PropValue => prop('supportedlock', LOCK_ENTRY('exclusive') + LOCK_ENTRY('shared')),

  lockdiscovery: (locks: readonly ActiveLock[]): PropValue => prop('lockdiscovery', locks.map(activeLockXml).join('')),
} as const;

/** The body of a successful LOCK response (RFC 4918 §9.10.1): the new or refreshed lock. */
export function lockResponseXml(lock: ActiveLock): string {
  return `${XML_DECL}<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLockXml(lock)}</D:lockdiscovery></D:prop>`;
}
