import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AclPathError } from './acl-path.js';
import type { AclEffect, AclRule } from './acl-resolver.js';
import { ALL_RIGHTS, bothRights, type Coverage, type Rights, ruleRights, rulesWithin } from './rule-subset.js';

const allow = (path: string): AclRule => ({ path, effect: 'allow' });
const deny = (path: string): AclRule => ({ path, effect: 'deny' });
const segmentsOf = (path: string) => path.split('/').slice(1);

/** contract §6 read literally (no trie): the longest matching rule decides, deny wins a tie, none denies. */
function referenceAllows(rules: readonly AclRule[], path: string): boolean {
  const p = segmentsOf(path);
  let best: AclRule | null = null;
  let bestLength = -1;
  for (const rule of rules) {
    const s = segmentsOf(rule.path);
    if (s.length > p.length || !s.every((seg, i) => seg === p[i])) continue;
    if (s.length > bestLength || (s.length === bestLength && rule.effect === 'deny')) {
      best = rule;
      bestLength = s.length;
    }
  }
  return best?.effect === 'allow';
}

// A small alphabet, so that rule paths are often prefixes of each other.
const CLASSES = ['file', 'dav'] as const;
const ACTIONS = ['read', 'delete'] as const;
const NAMES = ['a', 'b', 'c'] as const;
const RULE_DEPTH = 5;

/**
 * Every canonical path of this alphabet up to one segment deeper than any rule, plus a class no
 * rule names and a name no rule names: every decision that the rules can make happens on one of
 * these paths, so "for every path of the universe" is "for every path" here.
 */
const UNIVERSE: string[] = (() => {
  const out: string[] = [];
  const names = [...NAMES, 'zz'];
  const grow = (prefix: string[], depth: number) => {
    out.push('/' + prefix.join('/'));
    if (depth === RULE_DEPTH + 1) return;
    const next = depth === 1 ? ACTIONS : names;
    for (const seg of next) grow([...prefix, seg], depth + 1);
  };
  for (const cls of [...CLASSES, 'stat']) grow([cls], 1);
  return out;
})();

/** The brute force: every path of the universe that `granted` allows and `holder` does not. */
function bruteUncovered(granted: readonly AclRule[], holder: (path: string) => boolean): string[] {
  return UNIVERSE.filter((p) => referenceAllows(granted, p) && !holder(p));
}

const pathArb = fc
  .tuple(fc.constantFrom(...CLASSES), fc.constantFrom(...ACTIONS), fc.array(fc.constantFrom(...NAMES), { maxLength: RULE_DEPTH - 2 }), fc.integer({ min: 1, max: RULE_DEPTH }))
  .map(([cls, act, names, depth]) => '/' + [cls, act, ...names].slice(0, depth).join('/'));
const effectArb = fc.constantFrom<AclEffect>('allow', 'deny');
const ruleArb = fc.record({ path: pathArb, effect: effectArb });
const rulesArb = fc.array(ruleArb, { maxLength: 10 });
/** A holder's rules and a candidate set that is often (not always) within them: some of its rules, a few more. */
const pairArb = rulesArb.chain((holder) =>
  fc.tuple(fc.constant(holder), fc.tuple(fc.subarray(holder), fc.array(ruleArb, { maxLength: 3 })).map(([kept, extra]) => [...kept, ...extra])),
);
/** Scope-like rights: allow rules only. */
const scopeRulesArb = fc.array(pathArb.map(allow), { maxLength: 4 });

function expectAgreesWithBruteForce(result: Coverage, granted: readonly AclRule[], holder: (path: string) => boolean): void {
  const uncovered = bruteUncovered(granted, holder);
  expect(result.ok).toBe(uncovered.length === 0);
  if (!result.ok) {
    // The named path is a real witness, not just a verdict.
    expect(referenceAllows(granted, result.path)).toBe(true);
    expect(holder(result.path)).toBe(false);
  }
}

describe('rulesWithin', () => {
  describe('table', () => {
    const cases: Array<[string, AclRule[], AclRule[], Coverage]> = [
      ['nothing is within nothing', [], [], { ok: true }],
      ['deny rules grant nothing', [deny('/file'), deny('/dav/read')], [], { ok: true }],
      ['the same rules', [allow('/file'), deny('/file/delete')], [allow('/file'), deny('/file/delete')], { ok: true }],
      ['a narrower allow', [allow('/file/read/tmp')], [allow('/file/read')], { ok: true }],
      ['a narrower allow, spelled otherwise', [allow('/FILE/Read/tmp/')], [allow('/file/')], { ok: true }],
      ['an allow under a re-allowed deny', [allow('/file/delete/tmp/x')], [allow('/file'), deny('/file/delete'), allow('/file/delete/tmp')], { ok: true }],
      ['an extra deny makes it narrower', [allow('/file'), deny('/file/delete'), deny('/file/read/a')], [allow('/file'), deny('/file/delete')], { ok: true }],
      ['another class', [allow('/dav/'), allow('/stat/')], [allow('/sublogin/')], { ok: false, path: '/dav' }],
      ['the second rule goes too far', [allow('/file/read'), allow('/stat/traffic')], [allow('/file')], { ok: false, path: '/stat/traffic' }],
      ['the whole class where only an action is allowed', [allow('/file')], [allow('/file/read')], { ok: false, path: '/file' }],
      ["wider than the holder's deny: named by the holder's path", [allow('/file')], [allow('/file'), deny('/file/delete')], { ok: false, path: '/file/delete' }],
      ['a deny deep under the allow', [allow('/file/delete/tmp')], [allow('/file'), deny('/file/delete/tmp/secret')], { ok: false, path: '/file/delete/tmp/secret' }],
      ['the deny is missing', [allow('/file'), deny('/file/read')], [allow('/file'), deny('/file/delete')], { ok: false, path: '/file/delete' }],
      ['names are case-sensitive', [allow('/file/read/TMP')], [allow('/file/read/tmp')], { ok: false, path: '/file/read/TMP' }],
      ['segment-wise, not character-wise', [allow('/file/read/tmpfoo')], [allow('/file/read/tmp')], { ok: false, path: '/file/read/tmpfoo' }],
      ['deny wins a tie in the granted set too', [allow('/dav'), deny('/dav')], [], { ok: true }],
    ];
    it.each(cases)('%s', (_, granted, holder, expected) => {
      expect(rulesWithin(granted, ruleRights(holder))).toEqual(expected);
    });

    it('a full login holds everything', () => {
      expect(rulesWithin([allow('/file'), allow('/dav'), allow('/sublogin/create/x')], ALL_RIGHTS)).toEqual({ ok: true });
    });

    it('intersected rights (a token: scopes ∩ the user) hold only what both allow', () => {
      const user = ruleRights([allow('/file'), deny('/file/delete')]);
      const scopes = ruleRights([allow('/file/list'), allow('/file/info'), allow('/file/delete'), allow('/stat/')]);
      const token = bothRights(user, scopes);
      expect(rulesWithin([allow('/file/list')], token)).toEqual({ ok: true });
      expect(rulesWithin([allow('/file/list/docs'), allow('/file/info')], token)).toEqual({ ok: true });
      expect(rulesWithin([allow('/file')], token)).toEqual({ ok: false, path: '/file' });
      expect(rulesWithin([allow('/file/delete/tmp')], token)).toEqual({ ok: false, path: '/file/delete/tmp' });
      expect(rulesWithin([allow('/stat/traffic')], token)).toEqual({ ok: false, path: '/stat/traffic' }); // scope yes, user no
      // A full login's token: its scopes alone.
      expect(rulesWithin([allow('/stat/traffic'), allow('/file/delete/x')], bothRights(ALL_RIGHTS, scopes))).toEqual({ ok: true });
      expect(rulesWithin([allow('/file/upload')], bothRights(ALL_RIGHTS, scopes))).toEqual({ ok: false, path: '/file/upload' });
    });

    it('is only as good as the rule paths it is told: a holder must name all of them', () => {
      // The holder's decision denies /file/delete, but it does not say so in rulePaths: the
      // granted set's own paths alone do not reveal the gap. This is why Rights carries the paths.
      const blind: Rights = { rulePaths: ['/file'], allows: (p) => referenceAllows([allow('/file'), deny('/file/delete')], p) };
      expect(rulesWithin([allow('/file')], blind)).toEqual({ ok: true });
      expect(rulesWithin([allow('/file')], ruleRights([allow('/file'), deny('/file/delete')]))).toEqual({ ok: false, path: '/file/delete' });
    });

    it('refuses a path that is not a rule path', () => {
      expect(() => rulesWithin([allow('/file/../dav')], ALL_RIGHTS)).toThrow(AclPathError);
      expect(() => rulesWithin([allow('/mail/')], ALL_RIGHTS)).toThrow(AclPathError);
    });
  });

  describe('properties, against a brute-force decision on every path of a small alphabet', () => {
    it('says ok exactly when no path is allowed by the rules and denied to the holder, and names a real witness', () => {
      fc.assert(
        fc.property(pairArb, ([holder, granted]) => {
          expectAgreesWithBruteForce(rulesWithin(granted, ruleRights(holder)), granted, (p) => referenceAllows(holder, p));
        }),
        { numRuns: 300 },
      );
    });

    it('does the same for intersected rights (user rules ∩ scope rules)', () => {
      fc.assert(
        fc.property(pairArb, scopeRulesArb, ([user, granted], scopes) => {
          const holder = bothRights(ruleRights(user), ruleRights(scopes));
          expectAgreesWithBruteForce(rulesWithin(granted, holder), granted, (p) => referenceAllows(user, p) && referenceAllows(scopes, p));
        }),
        { numRuns: 300 },
      );
    });

    it('on random request paths, deeper than any rule: whatever the rules allow, the holder allows when ok', () => {
      const requestArb = fc.array(fc.constantFrom(...NAMES, 'zz', 'a b', 'ü'), { maxLength: 8 }).chain((names) =>
        fc.tuple(fc.constantFrom(...CLASSES), fc.constantFrom(...ACTIONS)).map(([cls, act]) => `/${cls}/${act}/${names.join('/')}`.replace(/\/$/, '')),
      );
      fc.assert(
        fc.property(pairArb, fc.array(requestArb, { minLength: 1, maxLength: 20 }), ([holder, granted], paths) => {
          if (!rulesWithin(granted, ruleRights(holder)).ok) return;
          for (const p of paths) if (referenceAllows(granted, p)) expect(referenceAllows(holder, p), p).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it('every rule set is within itself, and within anything wider by an allow', () => {
      fc.assert(
        fc.property(rulesArb, pathArb, (rules, extra) => {
          expect(rulesWithin(rules, ruleRights(rules))).toEqual({ ok: true });
          // Adding an allow at a path where the set has no rule only widens it.
          if (!rules.some((r) => r.path === extra)) expect(rulesWithin(rules, ruleRights([...rules, allow(extra)]))).toEqual({ ok: true });
        }),
      );
    });

    it('the pairs generated are within each other often enough to test both answers', () => {
      const samples = fc.sample(pairArb, { numRuns: 500, seed: 15 });
      const ok = samples.filter(([holder, granted]) => rulesWithin(granted, ruleRights(holder)).ok).length;
      expect(ok).toBeGreaterThan(100);
      expect(ok).toBeLessThan(450);
    });
  });
});
