/**
 * The If header (RFC 4918 §10.4): parsed into its lists, and evaluated against the state of the
 * resources it names (their entity tags and the tokens of the locks covering them).
 */
import { ABSOLUTE_URI, BAD_PERCENT, DavHeaderError, type HeaderValue, PATH_ABSOLUTE, singleHeader } from './header-syntax.js';

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
  const raw = singleHeader('If', value);
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
