/**
 * WebDAV request headers (RFC 4918 §10): If, Depth, Timeout, Overwrite, Destination, Lock-Token.
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

function single(header: DavHeaderName, value: HeaderValue): string | undefined {
  if (typeof value === 'string' || value === undefined) return value;
  if (value.length > 1) throw new DavHeaderError(header, 'sent more than once');
  return value[0];
}

// RFC 3986 absolute-URI: scheme ":" then URI characters (no fragment).
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~!$&'()*+,;=:@/?%[\]]*$/;
// path-absolute ["?" query]: one "/" then URI characters, not "//" (that would name a host).
const PATH_ABSOLUTE = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

// ---------------------------------------------------------------------------------------------
// If (RFC 4918 §10.4)

export type IfCondition =
  | { readonly not: boolean; readonly kind: 'token'; readonly token: string }
  | { readonly not: boolean; readonly kind: 'etag'; readonly etag: string };

export interface IfList {
  /** The Resource-Tag as written (absolute URI or absolute path), null in a No-tag-list. */
  readonly resource: string | null;
  /** All must hold for the list to hold. */
  readonly conditions: readonly IfCondition[];
}

export interface IfHeader {
  readonly tagged: boolean;
  /** The header holds if any list holds. */
  readonly lists: readonly IfList[];
}

/** A bound on the work one header can cause; real clients send one or two conditions. */
export const MAX_IF_CONDITIONS = 64;

/**
 * Parses `If` (RFC 4918 §10.4.2):
 *
 *     If = ( 1*No-tag-list | 1*Tagged-list )
 *     No-tag-list = List ;  Tagged-list = Resource-Tag 1*List
 *     List = "(" 1*Condition ")" ;  Condition = ["Not"] (State-token | "[" entity-tag "]")
 *
 * Returns null when the header is absent. Mixing tagged and untagged lists is malformed.
 * `Not` is matched case-insensitively (ABNF literals are); entity tags are kept as written,
 * quotes and `W/` included, with RFC 2616 quoted-string syntax (RFC 4918's own examples put
 * spaces in them).
 */
export function parseIfHeader(value: HeaderValue): IfHeader | null {
  const raw = single('If', value);
  if (raw === undefined) return null;

  let i = 0;
  const skipSpace = () => {
    while (raw[i] === ' ' || raw[i] === '\t') i++;
  };
  /** Reads `<...>` at i and returns its content. */
  const angle = (): string => {
    const end = raw.indexOf('>', i);
    if (end < 0) ifError('unterminated <');
    const inner = raw.slice(i + 1, end);
    i = end + 1;
    return inner;
  };

  const lists: IfList[] = [];
  let tagged: boolean | null = null;
  let resource: string | null = null;
  let tagAwaitingList = false;
  let conditionCount = 0;

  skipSpace();
  if (i === raw.length) ifError('empty');
  while (i < raw.length) {
    if (raw[i] === '<') {
      if (tagged === false) ifError('resource tag after an untagged list');
      if (tagAwaitingList) ifError('resource tag without a list');
      const tag = angle();
      if (!ABSOLUTE_URI.test(tag) && !PATH_ABSOLUTE.test(tag)) ifError('resource tag is not a URI');
      if (BAD_PERCENT.test(tag)) ifError('bad percent-encoding in resource tag');
      // evaluateIf resolves tags with the URL parser: what it cannot read is refused here, as a 400.
      if (!URL.canParse(tag, 'http://localhost/')) ifError('resource tag is not a valid URL');
      tagged = true;
      resource = tag;
      tagAwaitingList = true;
    } else if (raw[i] === '(') {
      tagged ??= false;
      tagAwaitingList = false;
      i++;
      const conditions: IfCondition[] = [];
      for (;;) {
        skipSpace();
        if (raw[i] === ')') break;
        let not = false;
        if (raw.slice(i, i + 3).toLowerCase() === 'not') {
          not = true;
          i += 3;
          skipSpace();
        }
        if (raw[i] === '<') {
          const token = angle();
          if (!ABSOLUTE_URI.test(token)) ifError('state token is not an absolute URI');
          conditions.push({ not, kind: 'token', token });
        } else if (raw[i] === '[') {
          i++;
          ENTITY_TAG.lastIndex = i;
          const etag = ENTITY_TAG.exec(raw)?.[0];
          if (etag === undefined) ifError('bad entity tag');
          i += etag.length;
          if (raw[i] !== ']') ifError('entity tag not closed by ]');
          i++;
          conditions.push({ not, kind: 'etag', etag });
        } else {
          ifError(i >= raw.length ? 'unterminated list' : 'expected a state token or an entity tag');
        }
        if (++conditionCount > MAX_IF_CONDITIONS) ifError('too many conditions');
      }
      if (conditions.length === 0) ifError('empty list');
      i++; // ')'
      lists.push({ resource, conditions });
    } else {
      ifError('expected ( or <');
    }
    skipSpace();
  }
  if (tagAwaitingList) ifError('resource tag without a list');
  return { tagged: tagged === true, lists };
}

// [W/] quoted-string (RFC 2616 §2.2): qdtext is any char but `"`, `\` and controls (HT allowed).
// Sticky: matched in place at `lastIndex`, without copying the rest of the header.
const ENTITY_TAG = /(?:W\/)?"(?:[^"\\\u0000-\u0008\u000A-\u001F\u007F]|\\[\u0000-\u007F])*"/y;

function ifError(reason: string): never {
  throw new DavHeaderError('If', reason);
}

/** The state of one resource, as the If header sees it. Unmapped: `{ etag: null, lockTokens: [] }`. */
export interface IfResourceState {
  /** The current entity tag, as the ETag header shows it; null if none (or no resource). */
  readonly etag: string | null;
  /** Tokens of the live locks covering the resource, including depth-infinity locks on ancestors. */
  readonly lockTokens: readonly string[];
}

export interface IfEvaluation {
  /** False → 412 Precondition Failed. */
  readonly holds: boolean;
  /**
   * Every state token in the header, whatever list or `Not` it is in: RFC 4918 §10.4.1 —
   * "the mere fact that a state token appears in an If header means that it has been
   * submitted". Whether it may be used is `checkWritable`'s business (owner principal).
   */
  readonly submittedTokens: ReadonlySet<string>;
}

/**
 * The resources an If header asks about, so that the caller can load their state before the
 * synchronous `evaluateIf`: null is the request URI; tags come resolved against `requestUrl`
 * as absolute URLs (`</a/b>` → `http://host/a/b`).
 */
export function ifHeaderResources(header: IfHeader, requestUrl: string): Array<string | null> {
  return [...new Set(header.lists.map((l) => resolveTag(l.resource, requestUrl)))];
}

function resolveTag(tag: string | null, requestUrl: string): string | null {
  return tag === null ? null : new URL(tag, requestUrl).href;
}

/**
 * Evaluates the If header (RFC 4918 §10.4.3, §10.4.4). A list holds when each of its conditions
 * matches the state of its resource (`Not` inverts); the header holds when one list does.
 * `resolve(null)` is the request URI's resource; `resolve(url)` a tagged resource, with the tag
 * made absolute against `requestUrl` (the absolute URL of the request). A resource that does
 * not exist, or is on another host or mount, should resolve to `{ etag: null, lockTokens: [] }`: then no token and no etag match,
 * so `(Not <DAV:no-lock>)` holds and `(<DAV:no-lock>)` does not, as §10.4.4 intends.
 *
 * Matching: a state token matches when it is one of `lockTokens` (exact string). An entity tag
 * matches when equal to the resource's, `W/` included: a client may only repeat a tag we gave
 * it, and a weak tag never matches a strong one (strong comparison, as If-Match does).
 *
 * A null header holds and submits nothing.
 */
export function evaluateIf(
  header: IfHeader | null,
  resolve: (resourceUrlOrNull: string | null) => IfResourceState,
  requestUrl: string,
): IfEvaluation {
  if (header === null) return { holds: true, submittedTokens: new Set() };
  const submittedTokens = new Set<string>();
  for (const list of header.lists) {
    for (const c of list.conditions) if (c.kind === 'token') submittedTokens.add(c.token);
  }
  const states = new Map<string | null, IfResourceState>();
  const stateOf = (resource: string | null): IfResourceState => {
    let state = states.get(resource);
    if (state === undefined) states.set(resource, (state = resolve(resource)));
    return state;
  };
  const holds = header.lists.some((list) => {
    const state = stateOf(resolveTag(list.resource, requestUrl));
    return list.conditions.every((c) => {
      const matches =
        c.kind === 'token' ? state.lockTokens.includes(c.token) : state.etag !== null && state.etag === c.etag;
      return matches !== c.not;
    });
  });
  return { holds, submittedTokens };
}

// ---------------------------------------------------------------------------------------------
// Depth (RFC 4918 §10.2)

export type Depth = 0 | 1 | 'infinity';

/**
 * `0`, `1` or `infinity` (case-insensitive); absent → `defaultDepth`. A value outside `allowed`
 * is refused: LOCK and COPY take only 0 or infinity, DELETE and MOVE only infinity (§9.6, §9.8,
 * §9.9, §9.10.3), and answering such a request at another depth would do something unasked.
 */
export function parseDepth(
  value: HeaderValue,
  defaultDepth: Depth,
  allowed: readonly Depth[] = [0, 1, 'infinity'],
): Depth {
  const raw = single('Depth', value);
  if (raw === undefined) return defaultDepth;
  const text = raw.trim().toLowerCase();
  const depth: Depth | null = text === '0' ? 0 : text === '1' ? 1 : text === 'infinity' ? 'infinity' : null;
  if (depth === null) throw new DavHeaderError('Depth', 'expected 0, 1 or infinity');
  if (!allowed.includes(depth)) throw new DavHeaderError('Depth', `${depth} not allowed here`);
  return depth;
}

// ---------------------------------------------------------------------------------------------
// Timeout (RFC 4918 §10.7)

export interface TimeoutOptions {
  /** When the client sends none. */
  readonly defaultSeconds: number;
  /** Every lock expires; `Infinite` and larger requests get this. */
  readonly maxSeconds: number;
}

export const DEFAULT_TIMEOUT_OPTIONS: TimeoutOptions = { defaultSeconds: 3600, maxSeconds: 7 * 24 * 3600 };

/**
 * `Timeout: Infinite, Second-4100000000` — a list in the client's order of preference; we take
 * the first entry, capped at `maxSeconds` (the server may pick any, §10.7). `Second-0` becomes
 * one second: a lock is never granted already expired. Digits beyond any sane count are
 * capped, not parsed as a huge number.
 */
export function parseTimeout(value: HeaderValue, options: Partial<TimeoutOptions> = {}): number {
  const { defaultSeconds, maxSeconds } = { ...DEFAULT_TIMEOUT_OPTIONS, ...options };
  // Several Timeout headers are one list (RFC 9110 §5.3), so an array is joined, not refused.
  const raw = typeof value === 'string' || value === undefined ? value : value.join(',');
  if (raw === undefined) return defaultSeconds;
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new DavHeaderError('Timeout', 'empty');
  const seconds = entries.map((entry) => {
    if (/^infinite$/i.test(entry)) return Infinity;
    const m = /^second-(\d+)$/i.exec(entry);
    if (m === null) throw new DavHeaderError('Timeout', 'expected Second-N or Infinite');
    return m[1]!.length > 15 ? Infinity : Number(m[1]);
  });
  return Math.min(Math.max(seconds[0]!, 1), maxSeconds);
}

// ---------------------------------------------------------------------------------------------
// Overwrite (RFC 4918 §10.6)

/** `T` or `F` (case-insensitive); absent means `T`. */
export function parseOverwrite(value: HeaderValue): boolean {
  const raw = single('Overwrite', value);
  if (raw === undefined) return true;
  const text = raw.trim().toUpperCase();
  if (text !== 'T' && text !== 'F') throw new DavHeaderError('Overwrite', 'expected T or F');
  return text === 'T';
}

// ---------------------------------------------------------------------------------------------
// Destination (RFC 4918 §10.3)

export interface Destination {
  /** For an absolute URI; null for a path-only Destination (same host by definition). */
  readonly scheme: 'http' | 'https' | null;
  /** Lower-cased host[:port], default port dropped (see `normalizeHost`); null for a path. */
  readonly host: string | null;
  /** The path as sent (still percent-encoded), without query: for the ACL canonicaliser. */
  readonly rawPath: string;
  /** The path decoded once, for the mount and storage lookup. */
  readonly path: string;
}

/**
 * `Destination: http://host/dav/a%20b` or `/dav/a%20b` (Simple-ref). The caller checks that
 * `host` is its own (else 502 Bad Gateway, §9.8.5; see same-server.ts) and that `path` is in
 * the same mount.
 *
 * User info (`http://user:password@host/…`, as lftp sends it) names no other resource: it is
 * dropped here, never kept, so nothing can log or echo it; the host and port still decide.
 *
 * Refused: other schemes, fragments, `//host` references, bad or over-encoded
 * percent escapes, invalid UTF-8, and decoded segments that are `.` or `..` or hold `/`, `\`
 * or NUL — rather than resolving them, so that the ACL check and the storage write cannot
 * read two different paths out of one header.
 */
export function parseDestination(value: HeaderValue): Destination {
  const raw = single('Destination', value)?.trim();
  if (raw === undefined || raw === '') throw new DavHeaderError('Destination', 'missing');

  let scheme: Destination['scheme'] = null;
  let host: string | null = null;
  let pathAndQuery: string;
  if (raw.startsWith('/')) {
    if (!PATH_ABSOLUTE.test(raw)) destinationError('not a valid absolute path');
    pathAndQuery = raw;
  } else {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/.exec(raw);
    if (m === null || !ABSOLUTE_URI.test(raw)) destinationError('not an absolute URI or path');
    const s = m[1]!.toLowerCase();
    if (s !== 'http' && s !== 'https') destinationError('scheme must be http or https');
    scheme = s as 'http' | 'https';
    // RFC 3986 authority: [ userinfo "@" ] host [ ":" port ]; userinfo holds no unencoded `@`.
    const authority = m[2]!;
    host = normalizeHost(authority.slice(authority.lastIndexOf('@') + 1), scheme);
    if (host === '') destinationError('no host');
    pathAndQuery = m[3]! === '' ? '/' : m[3]!;
    if (!pathAndQuery.startsWith('/')) pathAndQuery = `/${pathAndQuery}`; // `http://h?q`
  }
  const rawPath = pathAndQuery.split('?', 1)[0]!;
  const path = rawPath
    .split('/')
    .map((segment) => {
      if (BAD_PERCENT.test(segment)) destinationError('bad percent-encoding');
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return destinationError('invalid UTF-8 in path');
      }
      if (decoded === '.' || decoded === '..') destinationError('dot segment in path');
      if (/[/\\\u0000]/.test(decoded)) destinationError('encoded separator or NUL in path');
      return decoded;
    })
    .join('/');
  return { scheme, host, rawPath, path };
}

function destinationError(reason: string): never {
  throw new DavHeaderError('Destination', reason);
}

/**
 * `Example.COM:80` with scheme http → `example.com`. Apply the same to the request's Host to
 * compare it with `Destination.host`. IPv6 literals keep their brackets.
 */
export function normalizeHost(host: string, scheme: 'http' | 'https'): string {
  const h = host.trim().toLowerCase();
  const defaultPort = scheme === 'http' ? ':80' : ':443';
  return h.endsWith(defaultPort) ? h.slice(0, -defaultPort.length) : h;
}

// ---------------------------------------------------------------------------------------------
// Lock-Token (RFC 4918 §10.5)

/** `Lock-Token: <urn:uuid:...>` → `urn:uuid:...`. Required: UNLOCK without it is a 400. */
export function parseLockToken(value: HeaderValue): string {
  const raw = single('Lock-Token', value)?.trim();
  if (raw === undefined || raw === '') throw new DavHeaderError('Lock-Token', 'missing');
  const m = /^<([^<>]*)>$/.exec(raw);
  if (m === null || !ABSOLUTE_URI.test(m[1]!)) throw new DavHeaderError('Lock-Token', 'expected <absolute-URI>');
  return m[1]!;
}
