import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors/domain-error.js';
import { normalizeUserPath, StoragePathError } from '../storage/core/storage-path.js';
import { aclSpecificOf } from './acl-specific.js';
import { toCanonicalRequestPath } from './acl.service.js';

/**
 * aclSpecificOf turns a decoded target (a query parameter, a JSON field) into the specific part of
 * an ACL path. Two properties keep the guard and the storage on the same path: it never fails
 * with anything but a contract error, whatever the text; and wherever the storage accepts a path,
 * the ACL decides exactly that path (so no spelling is decided as one path and acted on as another).
 */
describe('aclSpecificOf', () => {
  // Names from a small alphabet with the characters that matter: separators, dots, percent
  // signs, `;`, spaces, a control character, non-ASCII, and lone surrogates.
  const char = fc.constantFrom('a', 'B', '/', '.', '%', '2', 'e', 'F', ';', '=', ' ', '\\', '\u0001', 'é', '😀', '\ud800', '\udc00', '~');
  const text = fc.array(char, { maxLength: 24 }).map((cs) => cs.join(''));

  it('refuses text without a UTF-8 form (a lone surrogate) with 400 path_invalid, not a URIError', () => {
    for (const bad of ['/docs/\ud800', '\udc00', 'a/\ud83d/b']) {
      let thrown: unknown;
      try {
        aclSpecificOf(bad);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DomainError);
      expect((thrown as DomainError).code).toBe('path_invalid');
    }
    expect(aclSpecificOf(42)).toBeUndefined();
    expect(aclSpecificOf(['/a'])).toBeUndefined();
  });

  it('encodes each segment as encodeURIComponent does, for any well-formed text', () => {
    const reference = (s: string) => (s.startsWith('/') ? '' : '/') + s.split('/').map((seg) => encodeURIComponent(seg)).join('/');
    const wellFormed = fc.oneof(text, fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: 'grapheme' })).filter((s) => s.isWellFormed());
    fc.assert(
      fc.property(wellFormed, (s) => {
        expect(aclSpecificOf(s)).toBe(reference(s));
      }),
    );
  });

  it('only ever fails with a contract error, for any text', () => {
    fc.assert(
      fc.property(text, (s) => {
        try {
          toCanonicalRequestPath(`/file/list${aclSpecificOf(s) ?? ''}`);
        } catch (err) {
          expect(err).toBeInstanceOf(DomainError);
          expect((err as DomainError).code).toBe('path_invalid');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('decides exactly the path the storage acts on, wherever the storage accepts it', () => {
    fc.assert(
      fc.property(text, (s) => {
        let stored: string;
        try {
          stored = normalizeUserPath(s);
        } catch (err) {
          expect(err).toBeInstanceOf(StoragePathError);
          return; // refused by the storage: nothing is acted on
        }
        const decided = toCanonicalRequestPath(`/file/list${aclSpecificOf(s)}`);
        expect(decided).toBe(stored === '/' ? '/file/list' : `/file/list${stored}`);
      }),
      { numRuns: 2000 },
    );
  });
});
