import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.js';
import { MAX_RULES_PER_SUBLOGIN, normalizeRuleSet, type RuleProblem } from './rule-set.js';

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('normalizeRuleSet', () => {
  it('returns the rules canonical, in the order written', () => {
    expect(
      normalizeRuleSet([
        { path: '/FILE/', effect: 'allow' },
        { path: '/file/Delete', effect: 'deny' },
        { path: '/file/delete/Tmp/', effect: 'allow' },
      ]),
    ).toEqual([
      { path: '/file', effect: 'allow' },
      { path: '/file/delete', effect: 'deny' },
      { path: '/file/delete/Tmp', effect: 'allow' },
    ]);
    expect(normalizeRuleSet([])).toEqual([]);
  });

  it('keeps identical rules once and refuses one path with both effects', () => {
    expect(normalizeRuleSet([{ path: '/file/', effect: 'allow' }, { path: '/file', effect: 'allow' }])).toEqual([{ path: '/file', effect: 'allow' }]);
    const err = refusal(() => normalizeRuleSet([{ path: '/stat/', effect: 'allow' }, { path: '/STAT', effect: 'deny' }]));
    expect(err.code).toBe('acl_rule_invalid');
    expect(err.details).toEqual([{ index: 1, path: '/stat', reason: 'conflicts_with_rule_0' }]);
  });

  it.each([
    ['', 'empty'],
    ['file/', 'not_absolute'],
    ['/', 'missing_class'],
    ['/file/../stat', 'dot_segment'],
    ['/file/./x', 'dot_segment'],
    ['/file//x', 'empty_segment'],
    ['/nope/', 'unknown_class'],
    ['/file/a b', 'bad_action'],
    ['/file/read/a%20b', 'percent_in_rule'],
    ['/file/read/a\u0000', 'control_char'],
    [`/file/read/${'a'.repeat(1100)}`, 'too_long'],
  ])('refuses %j (%s) with acl_rule_invalid naming the rule', (path, reason) => {
    const err = refusal(() => normalizeRuleSet([{ path: '/file/', effect: 'allow' }, { path, effect: 'deny' }]));
    expect(err.code).toBe('acl_rule_invalid');
    expect(err.status).toBe(400);
    expect(err.message).toContain('rule 1');
    expect((err.details as RuleProblem[])[0]).toMatchObject({ index: 1, reason });
  });

  it('lists at most 20 problems and counts the rest in the message', () => {
    const err = refusal(() => normalizeRuleSet(Array.from({ length: 50 }, () => ({ path: '/bad/', effect: 'allow' as const }))));
    expect(err.details).toHaveLength(20);
    expect(err.message).toContain('and 49 more');
  });

  it(`accepts ${MAX_RULES_PER_SUBLOGIN} rules and refuses one more`, () => {
    const rules = Array.from({ length: MAX_RULES_PER_SUBLOGIN }, (_, i) => ({ path: `/file/read/d${i}`, effect: 'allow' as const }));
    expect(normalizeRuleSet(rules)).toHaveLength(MAX_RULES_PER_SUBLOGIN);
    const err = refusal(() => normalizeRuleSet([...rules, { path: '/file/', effect: 'deny' }]));
    expect(err.code).toBe('acl_rule_invalid');
    expect(err.message).toContain(`at most ${MAX_RULES_PER_SUBLOGIN}`);
  });
});
