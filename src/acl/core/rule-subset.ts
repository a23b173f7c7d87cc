/**
 * Is a rule set within someone's rights? (contract §7.4 sublogin management: a sublogin grants
 * only rights it has.) Rule set B is within rights A iff every path B allows, A allows.
 *
 * Checking every path is not needed: a decision (contract §6) is the one at the deepest prefix of
 * the path that is a rule path, so between rule paths nothing changes. Take any path P and let
 * Q be its deepest prefix that is a rule path of A or of B. Every rule path of A (or of B) that
 * is a prefix of P is a prefix of Q, so A(P) = A(Q) and B(P) = B(Q); and when P has no such
 * prefix, both deny it. Hence B ⊆ A iff B(Q) ⇒ A(Q) for every rule path Q of either set. Rights
 * that are an intersection (a token: its scopes ∩ the user's rules) change only at the rule
 * paths of their parts, so those are checked too.
 *
 * Pure: no Nest, no I/O. Costs (rules of B + rule paths of A) decisions, each O(path depth).
 */
import { canonicalizeRulePath } from './acl-path.js';
import { AclResolver, type AclRule } from './acl-resolver.js';

/** Someone's rights, as the check needs them: a decision, and the paths where it may change. */
export interface Rights {
  /**
   * Paths of every rule behind `allows`, in rule spelling (canonicalised here), in any order,
   * repeats allowed. More paths than that only cost time; fewer make the check unsound.
   */
  readonly rulePaths: readonly string[];
  /** The decision on a canonical path. */
  allows(canonicalPath: string): boolean;
}

/** `ok`, or a canonical path the rule set allows and the rights do not. */
export type Coverage = { ok: true } | { ok: false; path: string };

/** A full login's rights: everything (contract §6). */
export const ALL_RIGHTS: Rights = Object.freeze({ rulePaths: Object.freeze([]) as readonly string[], allows: () => true });

/** The rights a rule set grants; `resolver` when one is already built from exactly these rules. */
export function ruleRights(rules: readonly AclRule[], resolver: AclResolver = new AclResolver(rules)): Rights {
  return { rulePaths: rules.map((r) => r.path), allows: (path) => resolver.decide(path).allowed };
}

/** What both allow: e.g. an OAuth token's scopes ∩ the granting user's rules (contract §4.4). */
export function bothRights(a: Rights, b: Rights): Rights {
  return { rulePaths: [...a.rulePaths, ...b.rulePaths], allows: (path) => a.allows(path) && b.allows(path) };
}

/**
 * Whether everything `rules` allow is allowed by `holder`. When not, names the first path found
 * that `rules` allow and `holder` does not: one of the rule set's own paths if any, else one of
 * the holder's (`allow /file` against `allow /file` + `deny /file/delete` names `/file/delete`).
 * Throws `AclPathError` on a path that is not a valid rule path (rule sets are validated first).
 */
export function rulesWithin(rules: readonly AclRule[], holder: Rights): Coverage {
  const granted = new AclResolver(rules);
  const seen = new Set<string>();
  const check = (raw: string): string | null => {
    const path = canonicalizeRulePath(raw);
    if (seen.has(path)) return null;
    seen.add(path);
    return granted.decide(path).allowed && !holder.allows(path) ? path : null;
  };
  for (const rule of rules) {
    const path = check(rule.path);
    if (path !== null) return { ok: false, path };
  }
  for (const raw of holder.rulePaths) {
    const path = check(raw);
    if (path !== null) return { ok: false, path };
  }
  return { ok: true };
}
