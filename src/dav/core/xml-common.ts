/**
 * Names and escaping shared by the request parser and the multistatus writer.
 *
 * Both sides must agree on what a property name is (`QName`) and on how text is escaped, or a
 * dead property would read back differently from how it was written.
 */

export const DAV_NS = 'DAV:';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** An expanded XML name. `ns` is `''` for "no namespace" (litmus `propnullns` uses one). */
export interface QName {
  readonly ns: string;
  readonly local: string;
}

export const davName = (local: string): QName => ({ ns: DAV_NS, local });

/**
 * A string key for maps and database columns. NUL cannot occur in XML names or namespace
 * names, so the key is unambiguous (`{ns:'a b', local:'c'}` vs `{ns:'a', local:'b c'}`).
 */
export const qnameKey = (q: QName): string => `${q.ns}\u0000${q.local}`;

export const sameQName = (a: QName, b: QName): boolean => a.ns === b.ns && a.local === b.local;

// XML 1.0 (5th ed.) NameStartChar / NameChar, without ':' (an NCName).
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');

export const isNcName = (s: string): boolean => NCNAME.test(s);

/**
 * Escapes character data. `>` is escaped too so that `]]>` can never appear; CR is written as a
 * character reference because a literal CR would be turned into LF by the reader's end-of-line
 * normalisation, and a dead property must come back with the characters it was given.
 */
export function escapeXmlText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]);
}

/**
 * Escapes an attribute value for double quotes. TAB, LF and CR are written as character
 * references because attribute-value normalisation would turn the literal characters into spaces.
 */
export function escapeXmlAttr(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => ATTR_ESCAPES[c]);
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const ATTR_ESCAPES: Readonly<Record<string, string>> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
};
