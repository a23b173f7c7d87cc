/**
 * ACL decision (SPEC §6): among the rules whose path is the request path P or a segment-wise
 * prefix of it, the one with the most segments wins; at equal length deny wins; no rule → deny.
 */
import { canonicalizeRulePath } from './acl-path.js';

export type AclEffect = 'allow' | 'deny';

export interface AclRule {
  path: string;
  effect: AclEffect;
}

export interface AclDecision {
  allowed: boolean;
  /** The rule that decided, or null when none matched (or the path was not canonical). */
  rule: AclRule | null;
  path: string;
}

/** One trie node per rule-path segment; `rule` is set where a rule path ends. */
interface Node {
  readonly children: Map<string, Node>;
  rule: AclRule | null;
}

const newNode = (): Node => ({ children: new Map(), rule: null });

export class AclResolver {
  // Built once, so a decision walks P's segments only: O(depth of P), whatever the rule count.
  private readonly root: Node = newNode();

  /** Throws `AclPathError` on a rule path that is not a valid rule (see `canonicalizeRulePath`). */
  constructor(rules: readonly AclRule[]) {
    for (const rule of rules) {
      // Re-canonicalised rather than trusted: a deny rule stored as `/FILE/delete` or
      // `/file/` must still match, never be silently skipped.
      let node = this.root;
      for (const seg of canonicalizeRulePath(rule.path).slice(1).split('/')) {
        let child = node.children.get(seg);
        if (child === undefined) node.children.set(seg, (child = newNode()));
        node = child;
      }
      // Same path twice: deny wins; otherwise the first rule stays, so the reported rule is stable.
      if (node.rule === null || (node.rule.effect === 'allow' && rule.effect === 'deny')) node.rule = rule;
    }
  }

  /** `canonicalPath` must come from `canonicalizeRequestPath`. */
  decide(canonicalPath: string): AclDecision {
    const segments = canonicalPath.slice(1).split('/');
    // A path that skipped canonicalisation (empty, `.` or `..` segments) is denied: matching
    // `/file/read/tmp/x/../../keep` as written would apply the `/tmp` rule to `/keep`.
    // (No decoding here: decoding twice would turn `%252e` into `.`.)
    if (!canonicalPath.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
      return { allowed: false, rule: null, path: canonicalPath };
    }
    let node = this.root;
    let best: AclRule | null = null; // deepest rule seen so far = the one with most segments
    for (const seg of segments) {
      const child = node.children.get(seg);
      if (child === undefined) break;
      node = child;
      if (node.rule !== null) best = node.rule;
    }
    return { allowed: best?.effect === 'allow', rule: best, path: canonicalPath };
  }
}
