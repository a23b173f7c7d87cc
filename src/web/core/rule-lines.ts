import type { AclEffect } from '../../acl/core/acl-resolver.js';

/**
 * The rule editor's text form: one rule per line, `allow /file/` or `deny /file/delete/tmp`.
 * Blank lines and lines starting with `#` are ignored. Only the shape is checked here; paths are
 * validated and canonicalised by the same rule-set check as the API (acl/rule-set.ts), and its
 * complaints (by rule index) are mapped back to line numbers with `lines`.
 */
export interface ParsedRuleLines {
  rules: { path: string; effect: AclEffect }[];
  /** The 1-based line number of each rule in `rules`. */
  lines: number[];
  problems: { line: number; text: string; reason: string }[];
}

const RULE_LINE = /^(allow|deny)\s+(\S+)$/i;

export function parseRuleLines(text: string): ParsedRuleLines {
  const out: ParsedRuleLines = { rules: [], lines: [], problems: [] };
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = RULE_LINE.exec(line);
    if (!m) {
      out.problems.push({ line: i + 1, text: line.slice(0, 200), reason: 'write "allow PATH" or "deny PATH"' });
      return;
    }
    out.rules.push({ effect: m[1]!.toLowerCase() as AclEffect, path: m[2]! });
    out.lines.push(i + 1);
  });
  return out;
}

export function formatRuleLines(rules: readonly { path: string; effect: AclEffect }[]): string {
  return rules.map((r) => `${r.effect} ${r.path}`).join('\n');
}
