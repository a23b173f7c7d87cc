import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACL_CLASSES,
  AclPathError,
  canonicalizeRequestPath,
  canonicalizeRulePath,
  isAclClass,
} from './acl-path.js';

/** The refusal reason, or undefined when `f` does not throw. */
function reasonOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof AclPathError) return e.reason;
    throw e;
  }
  return undefined;
}

describe('canonicalizeRequestPath', () => {
  it.each([
    ['canonical stays', '/file/delete/tmp/x', '/file/delete/tmp/x'],
    ['class only', '/file', '/file'],
    ['class only, trailing slash', '/file/', '/file'],
    ['the brief example', '/FILE/Delete//tmp/./a/../x/', '/file/delete/tmp/x'],
    ['percent-decoding', '/file/delete/%74mp/x', '/file/delete/tmp/x'],
    ['decoded class and action', '/%46ile/%64ELETE/x', '/file/delete/x'],
    ['UTF-8 decoding', '/file/read/%C3%A9t%C3%A9/%E6%97%A5', '/file/read/été/日'],
    ['raw non-ASCII kept', '/file/read/été', '/file/read/été'],
    ['decoded once: %252e%252e is a name', '/file/delete/%252e%252e/x', '/file/delete/%2e%2e/x'],
    ['decoded once: %2541 is %41', '/file/read/%2541', '/file/read/%41'],
    ['%2e%2e is ..', '/file/delete/tmp/%2e%2e/keep', '/file/delete/keep'],
    ['mixed .%2E is ..', '/file/delete/tmp/.%2E/keep', '/file/delete/keep'],
    ['%2e is .', '/file/delete/%2e/tmp', '/file/delete/tmp'],
    ['collapse //', '//file///read//a//', '/file/read/a'],
    ['drop . everywhere', '/./file/./read/./a/.', '/file/read/a'],
    ['resolve .. among names', '/file/read/a/b/../../c', '/file/read/c'],
    ['.. back to the action', '/file/read/a/..', '/file/read'],
    ['trailing slash', '/file/read/a/', '/file/read/a'],
    ['names keep their case', '/FILE/READ/Tmp/X', '/file/read/Tmp/X'],
    ['matrix on class', '/file;api_key=X/delete/tmp', '/file/delete/tmp'],
    ['matrix on action', '/file/list;api_key=0123/tmp', '/file/list/tmp'],
    ['matrix on name', '/file/delete/a;b=c;d/x', '/file/delete/a/x'],
    ['matrix-only segment', '/file/delete/;x=1/tmp', '/file/delete/tmp'],
    ['..;x is ..', '/file/read/a/..;x=1/b', '/file/read/b'],
    ['encoded ; is part of a name', '/file/read/a%3Bb', '/file/read/a;b'],
    ['matrix is cut before decoding', '/file/read/a;%zz', '/file/read/a'],
    ['double-encoded slash is a literal name', '/file/read/a%252Fb', '/file/read/a%2Fb'],
    ['other names are literal', '/file/read/.../a b/+', '/file/read/.../a b/+'],
    ['every class', '/sublogin/check', '/sublogin/check'],
    ['dav', '/DAV/write/a', '/dav/write/a'],
    ['backup', '/backup/delete/a', '/backup/delete/a'],
    ['stat', '/Stat/Traffic', '/stat/traffic'],
    ['256 segments is the limit', '/file/read' + '/a'.repeat(254), '/file/read' + '/a'.repeat(254)],
    ['4096 chars is the limit', '/file/read/' + 'a'.repeat(4085), '/file/read/' + 'a'.repeat(4085)],
    ['names in NFC: NFD as sent by macOS', '/dav/read/cafe\u0301/A\u030A', '/dav/read/caf\u00E9/\u00C5'],
    ['names in NFC: NFD percent-encoded', '/dav/read/cafe%CC%81', '/dav/read/caf\u00E9'],
    ['names in NFC: NFC stays', '/dav/read/caf%C3%A9', '/dav/read/caf\u00E9'],
    ['names in NFC: kana with a combining voiced mark', '/file/read/\u304B\u3099', '/file/read/\u304C'],
    ['names in NFC: singletons (KELVIN SIGN, OHM SIGN) in a name', '/file/read/\u212A\u2126', '/file/read/K\u03A9'],
    ['names in NFC: GREEK QUESTION MARK is ; in a name, never a matrix parameter', '/file/read/a\u037Eb', '/file/read/a;b'],
  ])('%s', (_name, raw, canonical) => {
    expect(canonicalizeRequestPath(raw)).toBe(canonical);
  });

  it.each([
    ['empty', '', 'empty'],
    ['relative', 'file/read/x', 'not_absolute'],
    ['relative with ..', '../file/read', 'not_absolute'],
    ['root only', '/', 'missing_class'],
    ['only dots', '/./.', 'missing_class'],
    ['too long', '/file/read/' + 'a'.repeat(4086), 'too_long'],
    ['too many segments', '/file/read' + '/a'.repeat(255), 'too_many_segments'],
    ['too many segments (dots count)', '/file/read' + '/.'.repeat(255), 'too_many_segments'],
    ['unknown class', '/files/read/x', 'unknown_class'],
    ['routing prefix is not a class', '/api/file/list', 'unknown_class'],
    ['Unicode case folding (KELVIN SIGN)', '/bac\u212Aup/read/x', 'unknown_class'],
    ['encoded KELVIN SIGN', '/bac%E2%84%AAup/read/x', 'unknown_class'],
    ['non-token action', '/file/dele\u0131te/x', 'bad_action'],
    ['NFC is for names only: KELVIN SIGN in the action', '/file/\u212Aeep/x', 'bad_action'],
    ['action with a space', '/file/de%20lete/x', 'bad_action'],
    ['.. into the action', '/file/read/../delete/x', 'climbs_above_action'],
    ['%2e%2e into the action', '/file/read/%2e%2e/delete/x', 'climbs_above_action'],
    ['..;x into the action', '/file/read/..;x/delete/x', 'climbs_above_action'],
    ['.. after names, into the action', '/file/read/a/../../delete', 'climbs_above_action'],
    ['.. into the class', '/file/..', 'climbs_above_action'],
    ['.. above everything', '/../file/read', 'climbs_above_action'],
    ['.. with an unknown class', '/x/../file/read', 'climbs_above_action'],
    ['x/.. in the action position', '/file/x/../read', 'climbs_above_action'],
    ['NUL encoded', '/file/read/a%00b', 'control_char'],
    ['NUL raw', '/file/read/a\u0000b', 'control_char'],
    ['newline', '/file/read/a%0Ab', 'control_char'],
    ['tab raw', '/file/read/a\tb', 'control_char'],
    ['DEL', '/file/read/%7F', 'control_char'],
    ['C1 control', '/file/read/%C2%85', 'control_char'],
    ['control char in class', '/fi%00le/read', 'control_char'],
    ['bad escape %zz', '/file/read/%zz', 'bad_percent_encoding'],
    ['truncated escape', '/file/read/a%4', 'bad_percent_encoding'],
    ['lone %', '/file/read/100%', 'bad_percent_encoding'],
    ['truncated UTF-8', '/file/read/%C3', 'invalid_utf8'],
    ['invalid byte', '/file/read/%FF', 'invalid_utf8'],
    ['overlong dot', '/file/read/a/%C0%AE%C0%AE/x', 'invalid_utf8'],
    ['encoded surrogate', '/file/read/%ED%A0%80', 'invalid_utf8'],
    ['lone surrogate raw', '/file/read/\uD800', 'invalid_utf8'],
    ['encoded slash', '/file/read/tmp%2F..%2F..%2Fdelete', 'separator_in_segment'],
    ['encoded slash lower case', '/file/read/a%2fb', 'separator_in_segment'],
    ['encoded backslash', '/file/read/a%5Cb', 'separator_in_segment'],
    ['raw backslash', '/file/read/..\\x', 'separator_in_segment'],
  ])('refuses: %s', (_name, raw, reason) => {
    expect(reasonOf(() => canonicalizeRequestPath(raw))).toBe(reason);
  });

  it('throws AclPathError with a message and reason', () => {
    const e = (() => {
      try {
        canonicalizeRequestPath('/nope');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(AclPathError);
    expect(e).toBeInstanceOf(Error);
    expect((e as AclPathError).reason).toBe('unknown_class');
    expect((e as AclPathError).message).toContain('unknown class');
  });

  describe('any spelling decides as its canonical form', () => {
    // Canonical paths: a class, maybe an action, names drawn from characters that need care
    // (% and ; must be encoded, non-ASCII, dots, upper case).
    const nameChar = fc.constantFrom(...Array.from('aZK09.-_~ %;é日😀+=,!\'()*@:ÅがΩ'));
    const name = fc
      .array(nameChar, { minLength: 1, maxLength: 6 })
      .map((cs) => cs.join(''))
      .filter((s) => s !== '.' && s !== '..');
    const action = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
    const canonicalSegments = fc
      .tuple(fc.constantFrom(...ACL_CLASSES), fc.option(action), fc.array(name, { maxLength: 5 }))
      .map(([cls, act, names]) => (act === null ? [cls] : [cls, act, ...names]));

    type Gen = fc.GeneratorValue;
    const chance = (g: Gen, oneIn: number) => g(fc.integer, { min: 1, max: oneIn }) === 1;

    /** Every UTF-8 byte of `ch` as %XX, hex in random case. */
    const percentEncode = (ch: string, g: Gen) => {
      const hex = Array.from(new TextEncoder().encode(ch), (b) => '%' + b.toString(16).padStart(2, '0')).join('');
      return g(fc.boolean) ? hex.toUpperCase() : hex;
    };

    /** A name in another Unicode form with the same NFC form (NFD, singletons such as KELVIN SIGN). */
    const otherForm = (seg: string, g: Gen) =>
      chance(g, 3) ? seg.normalize('NFD').replace(/[KΩ]/g, (c) => (g(fc.boolean) ? c : c === 'K' ? '\u212A' : '\u2126')) : seg;

    const spellName = (seg: string, g: Gen, foldCase: boolean) =>
      Array.from(foldCase ? seg : otherForm(seg, g), (ch) => {
        const c = foldCase && g(fc.boolean) ? ch.toUpperCase() : ch;
        // `%` and `;` must be encoded to mean themselves; anything else may be.
        return c === '%' || c === ';' || chance(g, 4) ? percentEncode(c, g) : c;
      }).join('');

    const withMatrix = (raw: string, g: Gen) =>
      chance(g, 4) ? raw + ';' + g(fc.constantFrom, 'api_key=0123ABCD', 'v=1,2', 'jsessionid=x', '', '..', '%2F') : raw;

    const dot = (g: Gen) => withMatrix(g(fc.constantFrom, '.', '%2e', '%2E'), g);
    const dotDot = (g: Gen) => withMatrix(g(fc.constantFrom, '..', '%2e%2e', '.%2E', '%2E.', '%2e%2E'), g);

    /** Pieces that do not change the meaning: `//`, `./`, and (below the action) `x/../`. */
    const noise = (g: Gen, depth: number): string[] => {
      const pieces: string[] = [];
      const n = g(fc.integer, { min: 0, max: 3 });
      for (let i = 0; i < n; i++) {
        const kind = g(fc.constantFrom, 'empty', 'dot', 'detour');
        if (kind === 'empty') pieces.push('');
        else if (kind === 'dot') pieces.push(dot(g));
        else if (depth >= 2) {
          // x/.. may only remove a name, never the action or class.
          pieces.push(withMatrix(spellName(g(() => name), g, false), g), ...noise(g, depth + 1), dotDot(g));
        }
      }
      return pieces;
    };

    const spell = (segments: string[], g: Gen): string => {
      const pieces: string[] = [];
      segments.forEach((seg, i) => {
        pieces.push(...noise(g, i), withMatrix(spellName(seg, g, i < 2), g));
      });
      pieces.push(...noise(g, segments.length));
      if (chance(g, 2)) pieces.push(''); // trailing slash
      return '/' + pieces.join('/');
    };

    it('canonicalize(spelling) === canonical', () => {
      fc.assert(
        fc.property(canonicalSegments, fc.gen(), (segments, g) => {
          const canonical = '/' + segments.join('/');
          expect(canonicalizeRequestPath(spell(segments, g))).toBe(canonical);
        }),
        { numRuns: 2000 },
      );
    });

    it('the canonical form of a rule names the same requests (plain names)', () => {
      const plain = fc.stringMatching(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,6}$/);
      fc.assert(
        fc.property(fc.constantFrom(...ACL_CLASSES), action, fc.array(plain, { maxLength: 4 }), (cls, act, names) => {
          const path = ['', cls, act, ...names].join('/');
          expect(canonicalizeRulePath(path)).toBe(path);
          expect(canonicalizeRequestPath(path)).toBe(path);
        }),
      );
    });
  });

  it('a rule and a request naming one name in different Unicode forms decide alike', () => {
    const forms = (name: string) => [name.normalize('NFC'), name.normalize('NFD'), name.normalize('NFC').replace(/K/g, '\u212A')];
    const name = fc.array(fc.constantFrom(...Array.from('aKé日Åがü ')), { minLength: 1, maxLength: 6 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.constantFrom(...ACL_CLASSES), name, fc.nat(2), fc.nat(2), (cls, n, ruleForm, requestForm) => {
        const rule = canonicalizeRulePath(`/${cls}/read/${forms(n)[ruleForm]}`);
        const request = canonicalizeRequestPath(`/${cls}/read/${encodeURIComponent(forms(n)[requestForm]!)}`);
        expect(request).toBe(rule);
        expect(rule).toBe(`/${cls}/read/${n.normalize('NFC')}`);
      }),
    );
  });

  it('on any input, returns a canonical path or throws AclPathError', () => {
    const piece = fc.oneof(
      fc.constantFrom('file', 'FILE', 'read', 'Delete', 'dav', 'x', '.', '..', '', '%2e', '%2E%2e', '%', '%2F', '%5c'),
      fc.constantFrom(';', ';a=b', '%00', '%C0%AE', '%E6%97%A5', '%25', '\\', '\u0000', '\uD800', 'é', '\u212A'),
      fc.string({ maxLength: 4, unit: 'binary' }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.boolean(), (pieces, lead) => {
        const raw = (lead ? '/' : '') + pieces.join(lead ? '/' : '');
        let out: string;
        try {
          out = canonicalizeRequestPath(raw);
        } catch (e) {
          expect(e).toBeInstanceOf(AclPathError);
          return;
        }
        const segs = out.split('/').slice(1);
        expect(out.startsWith('/')).toBe(true);
        expect(isAclClass(segs[0]!)).toBe(true);
        for (const s of segs) {
          expect(s === '' || s === '.' || s === '..').toBe(false);
          expect(/[\p{Cc}\\]/u.test(s)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('canonicalizeRulePath', () => {
  it.each([
    ['class rule /file/', '/file/', '/file'],
    ['class rule /file', '/file', '/file'],
    ['action rule', '/file/delete', '/file/delete'],
    ['action rule, trailing slash', '/file/delete/', '/file/delete'],
    ['specific rule', '/file/delete/tmp', '/file/delete/tmp'],
    ['case of class and action only', '/FILE/Delete/Tmp/X', '/file/delete/Tmp/X'],
    ['non-ASCII names', '/dav/write/été/日', '/dav/write/été/日'],
    ['names in NFC: a rule written in NFD', '/dav/write/cafe\u0301/A\u030A', '/dav/write/caf\u00E9/\u00C5'],
    ['names in NFC: KELVIN SIGN in a name', '/file/read/\u212A', '/file/read/K'],
    ['; is a literal character', '/file/read/a;b', '/file/read/a;b'],
    ['lone % is a literal character', '/file/read/100%', '/file/read/100%'],
    ['names of dots other than . and ..', '/file/read/...', '/file/read/...'],
    ['1024 chars is the limit', '/file/read/' + 'a'.repeat(1013), '/file/read/' + 'a'.repeat(1013)],
  ])('%s', (_name, raw, canonical) => {
    expect(canonicalizeRulePath(raw)).toBe(canonical);
  });

  it.each([
    ['empty', '', 'empty'],
    ['relative', 'file/', 'not_absolute'],
    ['root only', '/', 'missing_class'],
    ['too long', '/file/read/' + 'a'.repeat(1014), 'too_long'],
    ['unknown class', '/files/', 'unknown_class'],
    ['Unicode case folding (KELVIN SIGN)', '/bac\u212Aup/', 'unknown_class'],
    ['bad action', '/file/de lete', 'bad_action'],
    ['NFC is for names only: KELVIN SIGN in the action', '/file/\u212Aeep', 'bad_action'],
    ['double slash', '/file//delete', 'empty_segment'],
    ['two trailing slashes', '/file/delete//', 'empty_segment'],
    ['leading double slash', '//file', 'empty_segment'],
    ['. segment', '/file/./delete', 'dot_segment'],
    ['.. segment', '/file/delete/tmp/..', 'dot_segment'],
    ['.. as action', '/file/../delete', 'dot_segment'],
    ['percent escape', '/file/delete/my%20dir', 'percent_in_rule'],
    ['encoded dots', '/file/delete/%2e%2e', 'percent_in_rule'],
    ['NUL', '/file/delete/a\u0000', 'control_char'],
    ['newline', '/file/delete/a\n', 'control_char'],
    ['backslash', '/file/delete/a\\b', 'separator_in_segment'],
    ['lone surrogate', '/file/delete/\uDC00', 'invalid_utf8'],
  ])('refuses: %s', (_name, raw, reason) => {
    expect(reasonOf(() => canonicalizeRulePath(raw))).toBe(reason);
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.constantFrom('/FILE/', '/file/Delete/', '/Dav/write/A/b'), fc.boolean(), (p, slash) => {
        const once = canonicalizeRulePath(p);
        expect(canonicalizeRulePath(once)).toBe(once);
        expect(canonicalizeRulePath(once + (slash ? '/' : ''))).toBe(once);
      }),
    );
  });
});
