import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AclPathError, canonicalizeRequestPath } from './acl-path.js';
import { type AclDecision, type AclEffect, AclResolver, type AclRule } from './acl-resolver.js';

const segmentsOf = (path: string) => path.split('/').slice(1);

/** The reference: contract §6 read literally, with no cleverness. */
function referenceMatches(rules: readonly AclRule[], path: string): AclRule[] {
  const p = segmentsOf(path);
  return rules.filter((r) => {
    const s = segmentsOf(r.path);
    return s.length <= p.length && s.every((seg, i) => seg === p[i]);
  });
}

function referenceDecide(rules: readonly AclRule[], path: string): AclDecision {
  const matching = referenceMatches(rules, path);
  const denyFirst = (r: AclRule) => (r.effect === 'deny' ? 0 : 1);
  // Array sort is stable: among identical rules the first one listed is reported.
  matching.sort((a, b) => segmentsOf(b.path).length - segmentsOf(a.path).length || denyFirst(a) - denyFirst(b));
  const rule = matching[0] ?? null;
  return { allowed: rule?.effect === 'allow', rule, path };
}

// A small alphabet so that rule paths are often prefixes of each other and of request paths.
const CLASSES = ['file', 'dav'] as const;
const ACTIONS = ['read', 'delete'] as const;
const NAMES = ['a', 'b', 'c'] as const;

/** Canonical paths of 1 to 6 segments (`/file`, `/file/read`, `/file/read/a/b/c/a`). */
const pathArb = fc
  .tuple(
    fc.constantFrom(...CLASSES),
    fc.constantFrom(...ACTIONS),
    fc.array(fc.constantFrom(...NAMES), { maxLength: 4 }),
    fc.integer({ min: 1, max: 6 }),
  )
  .map(([cls, act, names, depth]) => '/' + [cls, act, ...names].slice(0, depth).join('/'));
const effectArb = fc.constantFrom<AclEffect>('allow', 'deny');
const ruleArb = fc.record({ path: pathArb, effect: effectArb });
const rulesArb = fc.array(ruleArb, { maxLength: 12 });

describe('AclResolver', () => {
  describe('the contract §6 example', () => {
    const classRule: AclRule = { path: '/file/', effect: 'allow' };
    const deleteRule: AclRule = { path: '/file/delete', effect: 'deny' };
    const tmpRule: AclRule = { path: '/file/delete/tmp', effect: 'allow' };
    const resolver = new AclResolver([classRule, deleteRule, tmpRule]);

    it.each([
      ['/file/list', true, classRule],
      ['/file/list/keep/x', true, classRule],
      ['/file', true, classRule],
      ['/file/del', true, classRule], // not the delete rule: prefixes are segment-wise
      ['/file/delete', false, deleteRule],
      ['/file/delete/keep/x', false, deleteRule],
      ['/file/delete/tmp', true, tmpRule],
      ['/file/delete/tmp/x', true, tmpRule],
      ['/file/delete/tmp/a/b/c', true, tmpRule],
      ['/file/delete/tmpfoo', false, deleteRule], // `/tmp` is not a prefix of `/tmpfoo`
      ['/file/delete/TMP/x', false, deleteRule], // names are case-sensitive
      ['/stat/traffic', false, null],
      ['/dav/read/x', false, null],
    ])('%s → allowed %s', (path, allowed, rule) => {
      expect(resolver.decide(path)).toEqual({ allowed, rule, path });
      expect(resolver.decide(path).rule).toBe(rule); // the caller's rule object, for `check`
    });

    it('decides a spelled request as its canonical form', () => {
      expect(resolver.decide(canonicalizeRequestPath('/FILE/delete/tmp/%2e%2e/keep/x')).allowed).toBe(false);
      expect(resolver.decide(canonicalizeRequestPath('/file/Delete;a=b//tmp/./x/')).allowed).toBe(true);
    });
  });

  it('at equal length deny wins, in any order; duplicates are fine', () => {
    const allow: AclRule = { path: '/file/read', effect: 'allow' };
    const deny: AclRule = { path: '/file/read', effect: 'deny' };
    for (const rules of [[allow, deny], [deny, allow], [allow, allow, deny, allow], [deny, deny]]) {
      const d = new AclResolver(rules).decide('/file/read/x');
      expect(d.allowed).toBe(false);
      expect(d.rule).toBe(deny);
    }
    expect(new AclResolver([allow, allow]).decide('/file/read').rule).toBe(allow);
  });

  it('canonicalises rule paths and refuses bad ones', () => {
    const upper: AclRule = { path: '/FILE/Delete/', effect: 'deny' };
    expect(new AclResolver([{ path: '/file', effect: 'allow' }, upper]).decide('/file/delete/x').rule).toBe(upper);
    expect(() => new AclResolver([{ path: '/file/../stat', effect: 'deny' }])).toThrow(AclPathError);
    expect(() => new AclResolver([{ path: '/nope/', effect: 'allow' }])).toThrow(AclPathError);
  });

  it('denies paths that skipped canonicalisation', () => {
    const resolver = new AclResolver([
      { path: '/file', effect: 'allow' },
      { path: '/file/read', effect: 'deny' },
      { path: '/file/read/tmp', effect: 'allow' },
    ]);
    for (const path of ['/file/read/tmp/x/../../keep', '/file/read/tmp/./x', '/file//read', '/file/read/tmp/', '', 'file']) {
      expect(resolver.decide(path)).toEqual({ allowed: false, rule: null, path });
    }
  });

  it('property: no rules → deny', () => {
    const resolver = new AclResolver([]);
    fc.assert(
      fc.property(fc.oneof(pathArb, fc.string()), (path) => {
        expect(resolver.decide(path)).toEqual({ allowed: false, rule: null, path });
      }),
    );
  });

  it('property: a longer matching rule decides over a shorter one', () => {
    fc.assert(
      fc.property(rulesArb, pathArb, effectArb, fc.nat(), fc.nat(), (rules, path, effect, pick, at) => {
        const p = segmentsOf(path);
        const longest = Math.max(0, ...referenceMatches(rules, path).map((r) => segmentsOf(r.path).length));
        fc.pre(longest < p.length);
        // A rule on a prefix of P longer than every matching rule, inserted anywhere in the list.
        const added: AclRule = { path: '/' + p.slice(0, longest + 1 + (pick % (p.length - longest))).join('/'), effect };
        const withAdded = [...rules];
        withAdded.splice(at % (rules.length + 1), 0, added);
        const d = new AclResolver(withAdded).decide(path);
        expect(d.rule).toBe(added);
        expect(d.allowed).toBe(effect === 'allow');
      }),
      { numRuns: 500 },
    );
  });

  it('property: adding a deny rule on a prefix never widens access', () => {
    fc.assert(
      fc.property(rulesArb, pathArb, fc.nat(), fc.array(pathArb, { maxLength: 10 }), (rules, path, pick, probes) => {
        const p = segmentsOf(path);
        const deny: AclRule = { path: '/' + p.slice(0, 1 + (pick % p.length)).join('/'), effect: 'deny' };
        const before = new AclResolver(rules);
        const after = new AclResolver([...rules, deny]);
        for (const x of [path, ...probes]) {
          if (after.decide(x).allowed) expect(before.decide(x).allowed).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('differential: matches the reference evaluator on random rule sets', () => {
    fc.assert(
      fc.property(rulesArb, fc.array(pathArb, { minLength: 1, maxLength: 10 }), (rules, paths) => {
        const resolver = new AclResolver(rules);
        for (const path of paths) {
          const got = resolver.decide(path);
          const want = referenceDecide(rules, path);
          expect(got).toEqual(want);
          expect(got.rule).toBe(want.rule);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('AclResolver.beneath: rules that could decide a member of a tree otherwise', () => {
  /**
   * The reference: every rule whose path has `path` as a strict segment-wise prefix (an allow
   * beside a deny of the same path never decides anything: deny wins the tie).
   */
  const referenceBeneath = (rules: readonly AclRule[], path: string, effect: AclEffect) =>
    rules.filter((r) => r.effect === effect && r.path.startsWith(`${path}/`) && !(effect === 'allow' && rules.some((d) => d.path === r.path && d.effect === 'deny')));

  it('finds a deny beneath an allowed folder, and nothing beside or above it', () => {
    const r = new AclResolver([
      { path: '/file/copy', effect: 'allow' },
      { path: '/file/copy/proj/secret', effect: 'deny' },
      { path: '/file/copy/proj/secret/open', effect: 'allow' },
    ]);
    expect(r.beneath('/file/copy/proj')).toEqual({ deny: { path: '/file/copy/proj/secret', effect: 'deny' }, allow: { path: '/file/copy/proj/secret/open', effect: 'allow' } });
    expect(r.beneath('/file/copy').deny?.path).toBe('/file/copy/proj/secret');
    // The rule's own path is not beneath itself; siblings and unrelated trees have nothing.
    expect(r.beneath('/file/copy/proj/secret')).toEqual({ deny: null, allow: { path: '/file/copy/proj/secret/open', effect: 'allow' } });
    expect(r.beneath('/file/copy/proj/public')).toEqual({ deny: null, allow: null });
    expect(r.beneath('/file/copy/other')).toEqual({ deny: null, allow: null });
    expect(r.beneath('/file/delete/proj')).toEqual({ deny: null, allow: null });
  });

  it('matches the reference for random rules and paths', () => {
    fc.assert(
      fc.property(rulesArb, pathArb, (rules, path) => {
        const beneath = new AclResolver(rules).beneath(path);
        for (const effect of ['deny', 'allow'] as const) {
          const expected = referenceBeneath(rules, path, effect);
          if (expected.length === 0) expect(beneath[effect]).toBeNull();
          else expect(expected).toContainEqual(beneath[effect]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a tree with nothing beneath of the other effect decides every member as its root', () => {
    fc.assert(
      fc.property(rulesArb, pathArb, fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }), (rules, path, below) => {
        const r = new AclResolver(rules);
        const root = r.decide(path).allowed;
        const other = root ? 'deny' : 'allow';
        fc.pre(r.beneath(path)[other] === null);
        expect(r.decide(`${path}/${below.join('/')}`).allowed).toBe(root);
      }),
    );
  });
});
