/**
 * Test support (used by specs only): reads XML the way a WebDAV client would, into a
 * canonical infoset (names with namespaces and prefixes, attributes, merged characters) that
 * can be compared with `toEqual`. Independent of the code under test except for saxes itself.
 */
import { SaxesParser } from 'saxes';

export interface InfoElement {
  readonly ns: string;
  readonly local: string;
  readonly prefix: string;
  /** [ns, local, prefix, value], sorted by ns then local; namespace declarations left out. */
  readonly attrs: ReadonlyArray<readonly [string, string, string, string]>;
  readonly children: readonly InfoNode[];
}
export type InfoNode = string | InfoElement;

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** Reads a whole document; throws on anything not well-formed. */
export function readXml(xml: string): InfoElement {
  const parser = new SaxesParser({ xmlns: true });
  const stack: Array<{ el: InfoElement; children: InfoNode[] }> = [];
  let root: InfoElement | null = null;
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (tag) => {
    const children: InfoNode[] = [];
    const attrs = Object.values(tag.attributes)
      .filter((a) => a.uri !== XMLNS_NS)
      .map((a) => [a.uri, a.local, a.prefix, a.value] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    const el: InfoElement = { ns: tag.uri, local: tag.local, prefix: tag.prefix, attrs, children };
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else root = el;
    stack.push({ el, children });
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const text = (t: string) => {
    const top = stack.at(-1);
    if (!top || t === '') return;
    const last = top.children.length - 1;
    if (typeof top.children[last] === 'string') top.children[last] += t;
    else top.children.push(t);
  };
  parser.on('text', text);
  parser.on('cdata', text);
  parser.write(xml).close();
  if (root === null) throw new Error('no root');
  return root;
}

/** Reads a content fragment (as `valueXml` is) by wrapping it in an element. */
export function readContent(fragment: string): readonly InfoNode[] {
  return readXml(`<wrapper>${fragment}</wrapper>`).children;
}

/** The first element, depth first, with this name. */
export function findElement(root: InfoElement, ns: string, local: string): InfoElement | undefined {
  if (root.ns === ns && root.local === local) return root;
  for (const c of root.children) {
    if (typeof c === 'string') continue;
    const found = findElement(c, ns, local);
    if (found) return found;
  }
  return undefined;
}

export const elementChildren = (el: InfoElement): InfoElement[] =>
  el.children.filter((c): c is InfoElement => typeof c !== 'string');

export const textOf = (el: InfoElement): string =>
  el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
