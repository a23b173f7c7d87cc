import { DomainError } from '../errors/domain-error.js';
import { AclPathError, canonicalizeRulePath } from './core/acl-path.js';
import type { AclEffect, AclRule as Rule } from './core/acl-resolver.js';

/**
 * The most rules one sublogin may hold. The resolver's decision time depends on the request
 * path's depth only, so the bound is about storage and the size of one PUT, not speed.
 */
export const MAX_RULES_PER_SUBLOGIN = 10_000;

/** How many invalid rules an answer lists, so that a bad 10,000-rule upload gets a short reply. */
const MAX_REPORTED = 20;

export interface RuleProblem {
  index: number;
  path: string;
  reason: string;
}

/**
 * Validates a rule set as a customer sent it and returns it canonical, in the order given.
 * Identical rules (after canonicalisation) are kept once; the same path with both effects is
 * refused rather than silently resolved, since the customer meant one of them.
 * Throws `acl_rule_invalid` (400) naming the offending rules.
 */
export function normalizeRuleSet(rules: ReadonlyArray<{ path: string; effect: AclEffect }>, max = MAX_RULES_PER_SUBLOGIN): Rule[] {
  if (rules.length > max) throw new DomainError('acl_rule_invalid', `a sublogin holds at most ${max} rules (got ${rules.length})`);
  const problems: RuleProblem[] = [];
  const byPath = new Map<string, { index: number; effect: AclEffect }>();
  const out: Rule[] = [];
  rules.forEach((rule, index) => {
    let path: string;
    try {
      path = canonicalizeRulePath(rule.path);
    } catch (err) {
      if (!(err instanceof AclPathError)) throw err;
      problems.push({ index, path: rule.path.slice(0, 200), reason: err.reason });
      return;
    }
    const seen = byPath.get(path);
    if (seen === undefined) {
      byPath.set(path, { index, effect: rule.effect });
      out.push({ path, effect: rule.effect });
    } else if (seen.effect !== rule.effect) {
      problems.push({ index, path, reason: `conflicts_with_rule_${seen.index}` });
    }
  });
  if (problems.length) {
    const first = problems[0]!;
    throw new DomainError(
      'acl_rule_invalid',
      `rule ${first.index} (${first.path}) is not valid: ${first.reason.replaceAll('_', ' ')}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      {},
      problems.slice(0, MAX_REPORTED),
    );
  }
  return out;
}
