/**
 * Canonical forms of ACL paths (contract §6).
 *
 * A request path may be spelled in many ways (case, `//`, `.`, `..`, percent-encoding, matrix
 * parameters). It is canonicalised once, before matching, so that every spelling is decided
 * as its canonical form: no spelling reaches what the canonical form is denied. Anything
 * ambiguous is refused (an `AclPathError`), and a refusal is a deny.
 *
 * Canonical form: `/class[/action[/name...]]`, segments joined by `/`, holding decoded text.
 * Class and action are lower case; names keep their case and are in Unicode NFC. The class-only
 * rule `/file/` is written `/file`: it is the one-segment prefix of every `/file/...` path.
 */

export const ACL_CLASSES = ['file', 'stat', 'sublogin', 'dav', 'backup'] as const;
export type AclClass = (typeof ACL_CLASSES)[number];

export type AclPathErrorReason =
  | 'empty'
  | 'not_absolute'
  | 'too_long'
  | 'too_many_segments'
  | 'bad_percent_encoding'
  | 'invalid_utf8'
  | 'control_char'
  | 'separator_in_segment'
  | 'climbs_above_action'
  | 'missing_class'
  | 'unknown_class'
  | 'bad_action'
  | 'empty_segment'
  | 'dot_segment'
  | 'percent_in_rule';

export class AclPathError extends Error {
  readonly reason: AclPathErrorReason;

  constructor(reason: AclPathErrorReason) {
    super(`invalid ACL path: ${reason.replaceAll('_', ' ')}`);
    this.name = 'AclPathError';
    this.reason = reason;
  }
}

export const MAX_REQUEST_PATH_LENGTH = 4096;
export const MAX_REQUEST_SEGMENTS = 256;
export const MAX_RULE_PATH_LENGTH = 1024;

const CLASS_SET: ReadonlySet<string> = new Set(ACL_CLASSES);
export const isAclClass = (s: string): s is AclClass => CLASS_SET.has(s);

const CONTROL_CHAR = /\p{Cc}/u; // C0, DEL and C1
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;
// Actions are route names (list, delete, traffic, ...): a plain token leaves no room for
// look-alike spellings of one.
const ACTION = /^[a-z0-9_-]+$/;

/**
 * ASCII-only lower-casing. Unicode case mapping is not safe here: KELVIN SIGN (U+212A)
 * lower-cases to `k`, so `/bac\u212Aup` would become the backup class.
 */
const asciiLower = (s: string): string => (/[A-Z]/.test(s) ? s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32)) : s);

/**
 * Names (not class or action) are compared in Unicode NFC, as the storage keeps them: `café`
 * sent by macOS (NFD) is the file `café` typed elsewhere (NFC), and a rule written in either
 * form decides both. ASCII is its own NFC form. NFC never makes a separator, a dot segment, a
 * control character or a `%`, so the checks made before it still hold after it. Class and
 * action stay as checked: NFC turns KELVIN SIGN into `K`, which must not become `/backup`.
 */
const NON_ASCII = /[^\u0000-\u007f]/;
const nfc = (s: string): string => (NON_ASCII.test(s) ? s.normalize('NFC') : s);

// One test for what checkText refuses, so a plain segment costs one regex (every guarded request
// canonicalises its path); the refusal's reason is worked out only when there is one.
const CONTROL_OR_SEPARATOR = /[\p{Cc}/\\]/u;

/** What a decoded segment (request) or a rule segment may not contain. */
function checkText(s: string): void {
  if (!s.isWellFormed()) throw new AclPathError('invalid_utf8'); // lone surrogates
  if (!CONTROL_OR_SEPARATOR.test(s)) return;
  if (CONTROL_CHAR.test(s)) throw new AclPathError('control_char');
  // A decoded `/` (%2F) must not smuggle a separator past the split; `\` is one on some
  // file systems and clients.
  throw new AclPathError('separator_in_segment');
}

/** Percent-decodes exactly once: `%252e` becomes the literal name `%2e`, never `.`. */
function decodeSegment(raw: string): string {
  // Without a `%` there is nothing to decode (decodeURIComponent would give `raw` back).
  let s = raw;
  if (raw.includes('%')) {
    if (BAD_PERCENT.test(raw)) throw new AclPathError('bad_percent_encoding');
    try {
      s = decodeURIComponent(raw); // throws on invalid UTF-8, overlong forms and encoded surrogates
    } catch {
      throw new AclPathError('invalid_utf8');
    }
  }
  checkText(s);
  return s;
}

function checkClassAndAction(segments: string[]): void {
  if (segments.length === 0) throw new AclPathError('missing_class');
  if (!isAclClass(segments[0]!)) throw new AclPathError('unknown_class');
  if (segments.length > 1 && !ACTION.test(segments[1]!)) throw new AclPathError('bad_action');
}

/**
 * The canonical form of the path a request asks for, e.g. `/FILE/Delete//tmp/./a/../x/` →
 * `/file/delete/tmp/x`. Throws `AclPathError` when the path is refused.
 */
export function canonicalizeRequestPath(raw: string): string {
  if (raw.length === 0) throw new AclPathError('empty');
  if (raw.length > MAX_REQUEST_PATH_LENGTH) throw new AclPathError('too_long');
  if (!raw.startsWith('/')) throw new AclPathError('not_absolute');
  const pieces = raw.slice(1).split('/');
  // Counted as sent (`.` and `..` included, empty pieces from `//` not).
  let named = 0;
  for (const piece of pieces) if (piece !== '') named++;
  if (named > MAX_REQUEST_SEGMENTS) throw new AclPathError('too_many_segments');

  const out: string[] = [];
  for (const piece of pieces) {
    // Matrix parameters are URL syntax, so they are cut from the raw text: an encoded `;`
    // (%3B) is part of a name. `..;x` is therefore `..`.
    const semi = piece.indexOf(';');
    // Decoding comes before dot handling, so `%2e%2e` (any case, any mix) is `..` and `%2e`
    // is `.`: a path is decided as what it means, whatever the spelling.
    const seg = decodeSegment(semi === -1 ? piece : piece.slice(0, semi));
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      // `..` may only remove names: `/file/read/../delete/x` is refused, not turned into a delete.
      if (out.length <= 2) throw new AclPathError('climbs_above_action');
      out.pop();
      continue;
    }
    // Positions 0 and 1 are final once filled (`..` cannot pop them): class and action.
    out.push(out.length < 2 ? asciiLower(seg) : nfc(seg));
  }
  checkClassAndAction(out);
  return '/' + out.join('/');
}

/**
 * The canonical form of a stored rule path: `/class/`, `/class/action` or
 * `/class/action/name...`. Rules are written by customers and must say exactly what they
 * mean, so only the case of class/action and one trailing slash are normalised; empty, `.`
 * and `..` segments are refused. `/file/` and `/file` both give `/file`.
 */
export function canonicalizeRulePath(raw: string): string {
  if (raw.length === 0) throw new AclPathError('empty');
  if (raw.length > MAX_RULE_PATH_LENGTH) throw new AclPathError('too_long');
  if (!raw.startsWith('/')) throw new AclPathError('not_absolute');
  const body = raw.endsWith('/') ? raw.slice(1, -1) : raw.slice(1);
  if (body === '') throw new AclPathError('missing_class');

  const segments = body.split('/');
  for (const seg of segments) {
    if (seg === '') throw new AclPathError('empty_segment');
    if (seg === '.' || seg === '..') throw new AclPathError('dot_segment');
    checkText(seg);
    // Rules hold decoded names and are matched literally. A rule `deny /file/delete/my%20dir`
    // would silently not protect `my dir`, so escapes are refused: write the decoded name.
    if (PERCENT_ESCAPE.test(seg)) throw new AclPathError('percent_in_rule');
  }
  segments[0] = asciiLower(segments[0]!);
  if (segments.length > 1) segments[1] = asciiLower(segments[1]!);
  for (let i = 2; i < segments.length; i++) segments[i] = nfc(segments[i]!);
  checkClassAndAction(segments);
  return '/' + segments.join('/');
}
