/**
 * WebDAV request bodies (RFC 4918 §9.1 PROPFIND, §9.2 PROPPATCH, §9.10 LOCK) → typed requests.
 *
 * The body is read with saxes (strict, namespace-aware, never loads external entities) into a
 * small element tree, under a depth and an element-count limit, and the tree is then read as the
 * method's grammar. The caller has already limited the body's size in bytes.
 *
 * Status codes (decided here, the DAV module sends them as they are):
 * - 400 Bad Request: the body is not a well-formed, namespace-well-formed XML 1.0 document:
 *   syntax errors, undeclared prefixes, `xmlns:p=""` (litmus `propfind_invalid2`), unknown
 *   entities, invalid UTF-8 or UTF-16, any DOCTYPE (so no entity can be declared: XXE and
 *   "billion laughs" are refused before any expansion), more than `maxDepth` levels,
 *   `maxElements` elements or `maxAttributes` attributes on one element, and an empty body
 *   where the method needs one.
 * - 415 Unsupported Media Type: a byte body declaring an encoding other than UTF-8, US-ASCII or
 *   UTF-16 (the XML encodings every processor must support): the syntax may be fine, the
 *   charset is what is refused.
 * - 422 Unprocessable Entity: well-formed XML that is not a valid request of the method: wrong
 *   root element, a required element missing or given twice, `allprop` together with `prop`,
 *   a lock scope or type we do not know. RFC 4918 §11.2 names exactly this case ("well-formed
 *   ... but semantically erroneous XML instructions") for 422, and keeps 400 for bodies whose
 *   syntax is wrong.
 *
 * Unknown elements are skipped where the grammar has room for them (RFC 4918 §17: recipients
 * MUST ignore unknown elements and their children), e.g. `<x:hint/>` beside `<D:prop>`. A
 * structural element in the wrong namespace (`<x:prop>` instead of `<D:prop>`) is therefore
 * ignored too, and the request fails because the element it needed is missing: 422.
 */
import { LRUCache } from 'lru-cache';
import { SaxesParser } from 'saxes';
import { DAV_NS, escapeXmlAttr, escapeXmlText, type QName, qnameKey, XML_NS, XMLNS_NS } from './xml-common.js';

export { DAV_NS, type QName } from './xml-common.js';

export type PropfindRequest =
  | { readonly kind: 'allprop'; readonly include: readonly QName[] }
  | { readonly kind: 'propname' }
  | { readonly kind: 'prop'; readonly props: readonly QName[] };

/**
 * One PROPPATCH instruction, in document order (RFC 4918 §9.2: they are applied in order).
 * `valueXml` is the property element's content as XML that re-reads to the same elements,
 * attributes and characters (RFC 4918 §4.4) wherever it is placed: every element at its top
 * level declares the namespaces its subtree uses. `lang` is the `xml:lang` in scope on the
 * property element (set on it or on an ancestor), which §4.3 requires to be kept; null if none.
 */
export type PropPatchOp =
  | {
      readonly op: 'set';
      readonly name: QName;
      readonly valueXml: string;
      readonly lang: string | null;
      /** The value's character data, a space between elements' (for values read as text, e.g. a time). */
      readonly text: string;
    }
  | { readonly op: 'remove'; readonly name: QName };

export interface LockInfo {
  readonly scope: 'exclusive' | 'shared';
  readonly type: 'write';
  /** The content of `<D:owner>` as XML (like `valueXml`), `null` if there was no owner element. */
  readonly owner: string | null;
}

export interface XmlLimits {
  /** Nesting levels, the root element being level 1. */
  readonly maxDepth: number;
  /** Elements in the whole document. */
  readonly maxElements: number;
  /** Attributes on one element, namespace declarations included. */
  readonly maxAttributes: number;
}

/**
 * Generous for any real client (a PROPFIND of every known property is ~30 elements, litmus's
 * biggest PROPPATCH a few hundred), small enough that a hostile body costs little to refuse.
 */
export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 64, maxElements: 10_000, maxAttributes: 256 };

export type DavXmlErrorReason =
  | 'empty_body'
  | 'invalid_encoding'
  | 'unsupported_encoding'
  | 'doctype_forbidden'
  | 'not_well_formed'
  | 'too_deep'
  | 'too_many_elements'
  | 'too_many_attributes'
  | 'wrong_root'
  | 'invalid_request';

const STATUS_OF_REASON: Readonly<Record<DavXmlErrorReason, 400 | 415 | 422>> = {
  empty_body: 400,
  invalid_encoding: 400,
  unsupported_encoding: 415,
  doctype_forbidden: 400,
  not_well_formed: 400,
  too_deep: 400,
  too_many_elements: 400,
  too_many_attributes: 400,
  wrong_root: 422,
  invalid_request: 422,
};

export class DavXmlError extends Error {
  readonly status: 400 | 415 | 422;

  constructor(
    readonly reason: DavXmlErrorReason,
    /** For logs; may quote the body's names, so not meant for the client as is. */
    readonly detail?: string,
  ) {
    super(`invalid WebDAV request body: ${reason.replaceAll('_', ' ')}${detail ? ` (${detail})` : ''}`);
    this.name = 'DavXmlError';
    this.status = STATUS_OF_REASON[reason];
  }
}

export type XmlBody = string | Uint8Array | null | undefined;

// ---------------------------------------------------------------------------------------------
// Method grammars

/** PROPFIND body (RFC 4918 §14.20). An empty body means `allprop` (§9.1). */
export function parsePropfind(body: XmlBody, limits?: Partial<XmlLimits>): PropfindRequest {
  const root = parseDocument(body, limits);
  if (root === null) return { kind: 'allprop', include: [] };
  expectRoot(root, 'propfind');

  const allprop = davChildren(root, 'allprop');
  const propname = davChildren(root, 'propname');
  const props = davChildren(root, 'prop');
  const chosen = [allprop, propname, props].filter((found) => found.length > 0).length;
  if (chosen !== 1) {
    throw new DavXmlError('invalid_request', 'propfind needs exactly one of allprop, propname, prop');
  }
  if (allprop.length > 0) {
    // `include` only means something with allprop (§14.8); beside anything else it is ignored.
    return { kind: 'allprop', include: uniqueNames(davChildren(root, 'include').flatMap(childElements)) };
  }
  if (propname.length > 0) return { kind: 'propname' };
  // Several <prop> are not in the DTD; reading them as one list harms no one.
  return { kind: 'prop', props: uniqueNames(props.flatMap(childElements)) };
}

/** PROPFIND bodies up to this size are remembered by parsePropfindCached. */
const REMEMBERED_PROPFIND_BYTES = 4096;
const rememberedPropfinds = new LRUCache<string, PropfindRequest>({ max: 256 });

/**
 * parsePropfind with the default limits, for a body as received, remembering small bodies by
 * their exact bytes: a client sends the same few PROPFIND bodies again and again (its allprop,
 * its list of names), and reading one with saxes cost ~12 % of a PROPFIND Depth 0's CPU (issue
 * 18). What a body parses to depends on its bytes alone, so a remembered answer is the answer;
 * it is frozen, as callers share it. A body that fails is not remembered (it throws again).
 */
export function parsePropfindCached(body: Uint8Array): PropfindRequest {
  if (body.length > REMEMBERED_PROPFIND_BYTES) return parsePropfind(body);
  // latin1 maps each byte to one code unit: the key is the bytes, exactly.
  const key = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  const known = rememberedPropfinds.get(key);
  if (known !== undefined) return known;
  const parsed = parsePropfind(body);
  const frozen: PropfindRequest =
    parsed.kind === 'allprop'
      ? Object.freeze({ kind: 'allprop', include: Object.freeze(parsed.include.map((n) => Object.freeze({ ...n }))) })
      : parsed.kind === 'prop'
        ? Object.freeze({ kind: 'prop', props: Object.freeze(parsed.props.map((n) => Object.freeze({ ...n }))) })
        : Object.freeze({ kind: 'propname' });
  rememberedPropfinds.set(key, frozen);
  return frozen;
}

/** PROPPATCH body (RFC 4918 §14.19): `set` and `remove` instructions in document order. */
export function parseProppatch(body: XmlBody, limits?: Partial<XmlLimits>): PropPatchOp[] {
  const root = parseDocument(body, limits);
  if (root === null) throw new DavXmlError('empty_body', 'PROPPATCH needs a propertyupdate body');
  expectRoot(root, 'propertyupdate');

  const ops: PropPatchOp[] = [];
  for (const instruction of childElements(root)) {
    if (instruction.ns !== DAV_NS || (instruction.local !== 'set' && instruction.local !== 'remove')) continue;
    const props = davChildren(instruction, 'prop');
    if (props.length === 0) throw new DavXmlError('invalid_request', `${instruction.local} without prop`);
    for (const property of props.flatMap(childElements)) {
      const name: QName = { ns: property.ns, local: property.local };
      ops.push(
        instruction.local === 'set'
          ? { op: 'set', name, valueXml: serializeContent(property), lang: property.lang, text: textContent(property) }
          : { op: 'remove', name },
      );
    }
  }
  if (ops.length === 0) throw new DavXmlError('invalid_request', 'propertyupdate names no property');
  return ops;
}

/**
 * LOCK body (RFC 4918 §14.11). `null` for an empty body, which is a lock refresh (§9.10.2):
 * the caller then requires an If header naming the lock.
 */
export function parseLockInfo(body: XmlBody, limits?: Partial<XmlLimits>): LockInfo | null {
  const root = parseDocument(body, limits);
  if (root === null) return null;
  expectRoot(root, 'lockinfo');

  const scopeEl = onlyDavChild(root, 'lockscope');
  const typeEl = onlyDavChild(root, 'locktype');
  const owners = davChildren(root, 'owner');
  if (owners.length > 1) throw new DavXmlError('invalid_request', 'more than one owner');

  const scopes = childElements(scopeEl).filter((e) => e.ns === DAV_NS);
  const scope = scopes.length === 1 ? scopes[0]!.local : null;
  if (scope !== 'exclusive' && scope !== 'shared') {
    throw new DavXmlError('invalid_request', 'lockscope must hold exactly one of exclusive, shared');
  }
  const types = childElements(typeEl).filter((e) => e.ns === DAV_NS);
  if (types.length !== 1 || types[0]!.local !== 'write') {
    throw new DavXmlError('invalid_request', 'locktype must be write');
  }
  return { scope, type: 'write', owner: owners.length === 1 ? serializeContent(owners[0]!) : null };
}

function expectRoot(root: XElement, local: string): void {
  if (root.ns !== DAV_NS || root.local !== local) {
    throw new DavXmlError('wrong_root', `expected DAV:${local}`);
  }
}

const childElements = (el: XElement): XElement[] => el.children.filter((c): c is XElement => c.kind === 'element');

const davChildren = (el: XElement, local: string): XElement[] =>
  childElements(el).filter((c) => c.ns === DAV_NS && c.local === local);

function onlyDavChild(el: XElement, local: string): XElement {
  const found = davChildren(el, local);
  if (found.length !== 1) throw new DavXmlError('invalid_request', `${el.local} needs exactly one ${local}`);
  return found[0]!;
}

/** Property names in first-seen order, each once (a response lists a property once). */
function uniqueNames(elements: readonly XElement[]): QName[] {
  const seen = new Set<string>();
  const names: QName[] = [];
  for (const { ns, local } of elements) {
    const name = { ns, local };
    const key = qnameKey(name);
    if (!seen.has(key)) {
      seen.add(key);
      names.push(name);
    }
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Reading the document

interface XAttribute {
  readonly prefix: string;
  readonly local: string;
  readonly ns: string;
  readonly value: string;
}

interface XElement {
  readonly kind: 'element';
  readonly prefix: string;
  readonly local: string;
  readonly ns: string;
  /** Attributes in document order, without namespace declarations. */
  readonly attributes: readonly XAttribute[];
  /** Namespace declarations written on this element: [prefix ('' = default), uri]. */
  readonly declarations: ReadonlyArray<readonly [string, string]>;
  /** `xml:lang` in scope (own or inherited); null when none or `xml:lang=""`. */
  readonly lang: string | null;
  readonly children: XNode[];
}

interface XText {
  readonly kind: 'text';
  text: string;
}

type XNode = XElement | XText;

// XML's white space (S), narrower than String.prototype.trim (which would also drop NBSP).
const XML_SPACE_ONLY = /^[ \t\r\n]*$/;
// The encodings an XML processor must read (XML 1.0 §4.3.3), plus ASCII, a subset of UTF-8.
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);
const UTF16_LABELS = new Set(['utf-16', 'utf-16le', 'utf-16be']);

type Encoding = 'utf-8' | 'utf-16' | 'text';

/** Turns the body into text; `encoding` says where it came from ('text' = given decoded). */
function decode(body: string | Uint8Array): { text: string; encoding: Encoding } {
  if (typeof body === 'string') {
    // Lone surrogates cannot be written back out as XML; saxes would let some through.
    if (!body.isWellFormed()) throw new DavXmlError('invalid_encoding', 'unpaired surrogate');
    return { text: body.startsWith('\uFEFF') ? body.slice(1) : body, encoding: 'text' };
  }
  // A UTF-16 body must start with a byte-order mark (XML 1.0 §4.3.3); anything else is UTF-8.
  const utf16 =
    body.length >= 2 && ((body[0] === 0xfe && body[1] === 0xff) || (body[0] === 0xff && body[1] === 0xfe));
  const label = utf16 ? (body[0] === 0xfe ? 'utf-16be' : 'utf-16le') : 'utf-8';
  try {
    // fatal: invalid bytes are refused, never replaced by U+FFFD (which would store a name the
    // client did not send). The decoder also drops the byte-order mark.
    return { text: new TextDecoder(label, { fatal: true }).decode(body), encoding: utf16 ? 'utf-16' : 'utf-8' };
  } catch {
    throw new DavXmlError('invalid_encoding', `not valid ${label}`);
  }
}

function checkDeclaredEncoding(declared: string | undefined, encoding: Encoding, text: string): void {
  if (declared === undefined || encoding === 'text') return;
  const label = declared.toLowerCase();
  if (UTF8_LABELS.has(label)) {
    if (encoding !== 'utf-8') throw new DavXmlError('invalid_encoding', `declared ${declared}, sent UTF-16`);
    if (label.includes('ascii') && /[^\u0000-\u007f]/.test(text)) {
      throw new DavXmlError('invalid_encoding', `declared ${declared}, not ASCII`);
    }
    return;
  }
  if (UTF16_LABELS.has(label)) {
    // Declaring UTF-16 without a byte-order mark means the bytes were read as UTF-8: mislabelled.
    if (encoding !== 'utf-16') throw new DavXmlError('invalid_encoding', `declared ${declared} without BOM`);
    return;
  }
  throw new DavXmlError('unsupported_encoding', declared);
}

/**
 * Parses the whole body into an element tree, or returns null for an empty (or blank) body.
 * Every hostile shape is refused from inside a saxes event handler: the throw stops the parser
 * at once, so a 10 MB tower of `<a>` costs `maxDepth` elements of work, not 10 MB.
 */
function parseDocument(body: XmlBody, limits: Partial<XmlLimits> | undefined): XElement | null {
  const { maxDepth, maxElements, maxAttributes } = { ...DEFAULT_XML_LIMITS, ...limits };
  if (body === null || body === undefined || body.length === 0) return null;
  const { text, encoding } = decode(body);
  if (XML_SPACE_ONLY.test(text)) return null;

  // XML 1.0 is forced: 1.1 would admit C0 controls by reference (`&#1;`), which could then not
  // be written into a 1.0 multistatus, and would allow undeclaring prefixes.
  const parser = new SaxesParser({ xmlns: true, forceXMLVersion: true, defaultXMLVersion: '1.0' });
  const stack: XElement[] = [];
  let root: XElement | null = null;
  let depth = 0;
  let elements = 0;
  let attributes = 0; // on the element being read

  parser.on('error', (err) => {
    throw new DavXmlError('not_well_formed', err.message);
  });
  parser.on('xmldecl', (decl) => checkDeclaredEncoding(decl.encoding, encoding, text));
  // saxes does not expand entities declared in a DTD, but refusing every DOCTYPE leaves no
  // doubt: no internal subset, no external subset, no parameter entity is ever looked at.
  parser.on('doctype', () => {
    throw new DavXmlError('doctype_forbidden');
  });
  // Counted at the start of the tag, before its attributes are even read.
  parser.on('opentagstart', () => {
    if (++depth > maxDepth) throw new DavXmlError('too_deep', `more than ${maxDepth} levels`);
    if (++elements > maxElements) throw new DavXmlError('too_many_elements', `more than ${maxElements}`);
    attributes = 0;
  });
  // One start tag with a million attributes is read in full before `opentag`: cut it short.
  parser.on('attribute', () => {
    if (++attributes > maxAttributes) throw new DavXmlError('too_many_attributes', `more than ${maxAttributes}`);
  });
  parser.on('opentag', (tag) => {
    const parent = stack.at(-1);
    const attrs: XAttribute[] = [];
    let lang = parent?.lang ?? null;
    for (const a of Object.values(tag.attributes)) {
      if (a.uri === XMLNS_NS) continue; // declarations are kept apart, below
      attrs.push({ prefix: a.prefix, local: a.local, ns: a.uri, value: a.value });
      if (a.uri === XML_NS && a.local === 'lang') lang = a.value === '' ? null : a.value;
    }
    const element: XElement = {
      kind: 'element',
      prefix: tag.prefix,
      local: tag.local,
      ns: tag.uri,
      attributes: attrs,
      declarations: Object.entries(tag.ns),
      lang,
      children: [],
    };
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
    depth--;
  });
  const addText = (chars: string) => {
    const parent = stack.at(-1);
    if (!parent || chars === '') return; // outside the root saxes only lets white space through
    const last = parent.children.at(-1);
    if (last?.kind === 'text') last.text += chars;
    else parent.children.push({ kind: 'text', text: chars });
  };
  parser.on('text', addText);
  parser.on('cdata', addText); // CDATA is only another way to write characters

  parser.write(text).close();
  if (root === null) throw new DavXmlError('not_well_formed', 'no root element');
  return root;
}

// ---------------------------------------------------------------------------------------------
// Writing a property value back out

/**
 * The content of `element` as XML that re-reads to the same infoset items RFC 4918 §4.4 asks
 * dead properties to keep (element and attribute names with namespaces, attribute values,
 * characters), wherever the string is placed.
 *
 * Prefixes are kept as the client wrote them (a value may hold QNames in its text, as in
 * `xsi:type="xs:string"`, which only make sense with their prefixes). Each top-level element
 * declares every binding its subtree's names need, including the default namespace (`xmlns=""`
 * when unprefixed elements have none), because the string will be embedded in documents whose
 * bindings we cannot know; declarations the client wrote inside the value are kept as well.
 * Comments and processing instructions are dropped (not part of the value in §4.4).
 */
function textContent(element: XElement): string {
  return element.children.map((c) => (c.kind === 'text' ? c.text : ` ${textContent(c)} `)).join('');
}

function serializeContent(element: XElement): string {
  const out: string[] = [];
  for (const child of element.children) {
    if (child.kind === 'text') out.push(escapeXmlText(child.text));
    else serializeElement(child, new Map(), out);
  }
  return out.join('');
}

function serializeElement(el: XElement, inScope: ReadonlyMap<string, string>, out: string[]): void {
  const declare = new Map<string, string>();
  const need = (prefix: string, ns: string) => {
    if (prefix === 'xml') return; // bound by definition; declaring it is allowed but pointless
    if (inScope.get(prefix) !== ns) declare.set(prefix, ns);
  };
  for (const [prefix, ns] of el.declarations) need(prefix, ns);
  need(el.prefix, el.ns);
  for (const a of el.attributes) if (a.prefix !== '') need(a.prefix, a.ns); // unprefixed: no namespace

  const qname = el.prefix === '' ? el.local : `${el.prefix}:${el.local}`;
  out.push('<', qname);
  for (const [prefix, ns] of declare) {
    out.push(prefix === '' ? ' xmlns="' : ` xmlns:${prefix}="`, escapeXmlAttr(ns), '"');
  }
  for (const a of el.attributes) {
    out.push(' ', a.prefix === '' ? a.local : `${a.prefix}:${a.local}`, '="', escapeXmlAttr(a.value), '"');
  }
  if (el.children.length === 0) {
    out.push('/>');
    return;
  }
  out.push('>');
  const scope = declare.size === 0 ? inScope : new Map([...inScope, ...declare]);
  for (const child of el.children) {
    if (child.kind === 'text') out.push(escapeXmlText(child.text));
    else serializeElement(child, scope, out);
  }
  out.push('</', qname, '>');
}
