/**
 * ACL decision (contract §6): among the rules whose path is the request path P or a segment-wise
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

/**
 * One trie node per rule-path segment; `rule` is set where a rule path ends. `denyBelow` and
 * `allowBelow` are a deny and an allow rule strictly beneath the node (null when there is none),
 * so "could a member of this tree be decided otherwise?" costs the path's depth too.
 */
interface Node {
  readonly children: Map<string, Node>;
  rule: AclRule | null;
  denyBelow: AclRule | null;
  allowBelow: AclRule | null;
}

const newNode = (): Node => ({ children: new Map(), rule: null, denyBelow: null, allowBelow: null });

/** The rules strictly beneath a path: what could decide one of its members otherwise. */
export interface RulesBeneath {
  deny: AclRule | null;
  allow: AclRule | null;
}

const NONE_BENEATH: RulesBeneath = Object.freeze({ deny: null, allow: null });

export class AclResolver {
  // Built once, so a decision walks P's segments only: O(depth of P), whatever the rule count.
  private readonly root: Node = newNode();

  /** Throws `AclPathError` on a rule path that is not a valid rule (see `canonicalizeRulePath`). */
  constructor(
    /** The rules as given: the paths a comparison of two rule sets visits (rule-subset.ts). */
    readonly rules: readonly AclRule[],
  ) {
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
    markRulesBelow(this.root);
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

  /**
   * A deny and an allow rule lying strictly beneath `canonicalPath` (each null when there is
   * none). A member of the tree at that path is decided as the path itself unless such a rule
   * of the other effect exists. Costs the path's depth, whatever the number of rules.
   */
  beneath(canonicalPath: string): RulesBeneath {
    let node = this.root;
    for (const seg of canonicalPath.slice(1).split('/')) {
      const child = node.children.get(seg);
      if (child === undefined) return NONE_BENEATH;
      node = child;
    }
    return { deny: node.denyBelow, allow: node.allowBelow };
  }
}

/** Fills `denyBelow`/`allowBelow` bottom-up; iterative, so a deep rule cannot overflow the stack. */
function markRulesBelow(root: Node): void {
  const order: Node[] = [];
  const stack = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    order.push(node);
    for (const child of node.children.values()) stack.push(child);
  }
  // Children come after their parent in `order`: walking it backwards finishes them first.
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    for (const child of node.children.values()) {
      node.denyBelow ??= child.rule?.effect === 'deny' ? child.rule : child.denyBelow;
      node.allowBelow ??= child.rule?.effect === 'allow' ? child.rule : child.allowBelow;
    }
  }
}
