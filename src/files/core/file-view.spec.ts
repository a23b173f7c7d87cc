import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StorageEntry } from '../../storage/storage.types.js';
import { FIELDS_PATTERN, FILE_FIELDS, fullNameMatcher, parseFields, viewOf } from './file-view.js';

const entry: StorageEntry = {
  name: 'a.txt',
  path: '/docs/a.txt',
  type: 'file',
  size: 12,
  modified: new Date('2025-01-02T03:04:05.678Z'),
  etag: '"x-c-y"',
};

describe('parseFields / viewOf', () => {
  it('returns every field when none are asked for', () => {
    expect(parseFields(undefined)).toEqual(FILE_FIELDS);
    expect(parseFields('')).toEqual(FILE_FIELDS);
    expect(viewOf(entry, parseFields(undefined))).toEqual({
      name: 'a.txt',
      path: '/docs/a.txt',
      type: 'file',
      size: 12,
      modified: '2025-01-02T03:04:05.678Z',
      etag: '"x-c-y"',
    });
  });

  it.each([
    ['name', ['name']],
    ['size,name', ['name', 'size']],
    [' size , name ,size', ['name', 'size']],
    ['etag,modified,type,path,size,name', [...FILE_FIELDS]],
  ])('%j picks %j, in a fixed order, each once', (raw, expected) => {
    expect(parseFields(raw)).toEqual(expected);
    expect(Object.keys(viewOf(entry, parseFields(raw)))).toEqual(expected);
  });

  it.each(['nam', 'name,', ',name', 'name,,size', 'NAME', 'name;size', 'password', '__proto__'])('refuses %j', (raw) => {
    expect(FIELDS_PATTERN.test(raw)).toBe(false);
  });

  it('accepts what FIELDS_PATTERN accepts, and nothing outside FILE_FIELDS', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FILE_FIELDS, ' name', 'size ', 'x'), { minLength: 1, maxLength: 8 }), (parts) => {
        const raw = parts.join(',');
        if (FIELDS_PATTERN.test(raw)) {
          const fields = parseFields(raw);
          expect(fields.length).toBeGreaterThan(0);
          expect(fields.every((f) => FILE_FIELDS.includes(f))).toBe(true);
        } else {
          expect(parts).toContain('x');
        }
      }),
    );
  });
});

describe('viewOf, all fields (the listing fast path)', () => {
  const entries = fc.record({
    name: fc.string({ maxLength: 12 }),
    path: fc.string({ maxLength: 24 }),
    type: fc.constantFrom('file' as const, 'directory' as const),
    size: fc.nat(),
    // Times a disk holds, repeated so the remembered forms are hit too.
    modified: fc.oneof(fc.integer({ min: -62_000_000_000_000, max: 250_000_000_000_000 }), fc.constantFrom(0, 1_764_915_950_182)).map((t) => new Date(t)),
    etag: fc.string({ maxLength: 24 }),
  });

  it('property: the same JSON, byte for byte, as each field picked one by one', () => {
    fc.assert(
      fc.property(entries, (e: StorageEntry) => {
        // A copy of FILE_FIELDS is not FILE_FIELDS itself: it takes the field-by-field path.
        const generic = JSON.stringify(viewOf(e, [...FILE_FIELDS]));
        expect(JSON.stringify(viewOf(e, FILE_FIELDS))).toBe(generic);
        expect(JSON.stringify(viewOf(e, parseFields(undefined)))).toBe(generic);
        expect(viewOf(e, FILE_FIELDS).modified).toBe(e.modified.toISOString());
      }),
    );
  });
});

describe('fullNameMatcher', () => {
  it.each([
    ['a.txt', 'a.txt', true],
    ['a.txt', 'b.txt', false],
    ['a.txt', 'a.txt.bak', false], // whole name, not a substring
    ['*.txt', 'notes.txt', true],
    ['*.txt', 'notes.TXT', false], // case-sensitive
    ['*.txt', '.txt', true],
    ['report-??.pdf', 'report-01.pdf', true],
    ['report-??.pdf', 'report-1.pdf', false],
    ['?.txt', '日.txt', true], // one character, not one UTF-16 unit
    ['*', 'anything at all', true],
    ['a.c', 'abc', false], // '.' is literal
    ['(x)+[y]', '(x)+[y]', true], // regex syntax is literal
    ['*a*', 'banana', true],
    ['a\\b', 'a\\b', true],
  ])('%j on %j → %s', (pattern, name, expected) => {
    expect(fullNameMatcher(pattern)(name)).toBe(expected);
  });

  it('property: a pattern without wildcards matches exactly itself', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }).filter((s) => !/[*?]/.test(s)), fc.string({ maxLength: 20 }), (pattern, other) => {
        const m = fullNameMatcher(pattern);
        expect(m(pattern)).toBe(true);
        expect(m(other)).toBe(other === pattern);
      }),
    );
  });
});
