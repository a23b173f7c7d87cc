import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors/domain-error.js';
import { MAX_JSON_DEPTH, parseStrictJson } from './strict-json.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return undefined;
};

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('parseStrictJson', () => {
  it.each([
    ['empty', '', 'malformed_json'],
    ['truncated', '{"a":', 'malformed_json'],
    ['__proto__', '{"__proto__":{"x":1}}', 'malformed_json'],
    ['escaped __proto__', '{"\\u005f_proto__":1}', 'malformed_json'],
    ['constructor', '{"a":[{"constructor":{"prototype":{}}}]}', 'malformed_json'],
    ['prototype', '{"prototype":1}', 'malformed_json'],
    [`${MAX_JSON_DEPTH + 1} levels`, nested(MAX_JSON_DEPTH + 1), 'bad_request'],
    ['100000 levels', nested(100_000), 'bad_request'],
  ])('refuses %s', (_label, text, code) => {
    expect(codeOf(() => parseStrictJson(Buffer.from(text)))).toBe(code);
  });

  it('refuses bytes that are not UTF-8 instead of replacing them', () => {
    expect(codeOf(() => parseStrictJson(Buffer.concat([Buffer.from('{"path":"/a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])))).toBe('malformed_json');
    expect(codeOf(() => parseStrictJson(Buffer.from([0xed, 0xa0, 0x80])))).toBe('malformed_json'); // CESU-8 surrogate
  });

  it(`accepts ${MAX_JSON_DEPTH} levels, a leading BOM, and keys that merely contain a forbidden word`, () => {
    expect(parseStrictJson(Buffer.from(nested(MAX_JSON_DEPTH)))).toBeInstanceOf(Array);
    expect(parseStrictJson(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]))).toEqual({ a: 1 });
    expect(parseStrictJson(Buffer.from('{"my_constructor":1,"__proto":2}'))).toEqual({ my_constructor: 1, __proto: 2 });
  });

  it('parses every ordinary JSON value as JSON.parse does', () => {
    const key = fc.string().filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.array(tie('v')), fc.dictionary(key, tie('v'))),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const text = JSON.stringify(v);
        expect(parseStrictJson(Buffer.from(text, 'utf8'))).toEqual(JSON.parse(text));
      }),
    );
  });

  it('answers any bytes with a value or a contract error, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.json().map((j) => Buffer.from(j))), (bytes) => {
        const code = codeOf(() => parseStrictJson(Buffer.from(bytes)));
        if (code !== undefined) expect(['malformed_json', 'bad_request']).toContain(code);
      }),
    );
  });
});
