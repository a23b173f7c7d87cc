import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  basicChallenge,
  MalformedAuthorizationError,
  parseBasicAuthorization,
  type BasicAuthorization,
} from './basic-header.js';

const b64 = (s: string | Buffer, enc: BufferEncoding = 'utf8') =>
  (typeof s === 'string' ? Buffer.from(s, enc) : s).toString('base64');
const basic = (s: string | Buffer, enc?: BufferEncoding) => `Basic ${b64(s, enc)}`;

function reasonOf(header: string | undefined): string | undefined {
  try {
    parseBasicAuthorization(header);
  } catch (e) {
    if (e instanceof MalformedAuthorizationError) {
      expect(e.code).toBe('malformed_authorization');
      return e.reason;
    }
    throw e;
  }
  return undefined;
}

describe('parseBasicAuthorization: accepted', () => {
  it.each<[string, string | undefined, BasicAuthorization]>([
    ['absent', undefined, { kind: 'none' }],
    ['empty', '', { kind: 'none' }],
    ['Bearer', 'Bearer abc.def', { kind: 'other-scheme', scheme: 'Bearer' }],
    ['Digest', 'Digest username="a", realm="b"', { kind: 'other-scheme', scheme: 'Digest' }],
    ['scheme only', 'Negotiate', { kind: 'other-scheme', scheme: 'Negotiate' }],
    ['huge Bearer is not our business', `Bearer ${'a'.repeat(10000)}`, { kind: 'other-scheme', scheme: 'Bearer' }],
    ['simple', basic('alice:secret'), { kind: 'basic', userId: 'alice', password: 'secret' }],
    ['RFC 7617 example', 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', { kind: 'basic', userId: 'Aladdin', password: 'open sesame' }],
    ['scheme lower case', `basic ${b64('alice:secret')}`, { kind: 'basic', userId: 'alice', password: 'secret' }],
    ['scheme upper case', `BASIC ${b64('alice:secret')}`, { kind: 'basic', userId: 'alice', password: 'secret' }],
    ['padding omitted', 'Basic YWI6Yw', { kind: 'basic', userId: 'ab', password: 'c' }],
    ['one pad char omitted', 'Basic YWI6Y2Q', { kind: 'basic', userId: 'ab', password: 'cd' }],
    ['password with colons', basic('alice:a:b::c:'), { kind: 'basic', userId: 'alice', password: 'a:b::c:' }],
    ['UTF-8', basic('ユーザー:パスワード😀'), { kind: 'basic', userId: 'ユーザー', password: 'パスワード😀' }],
    ['ISO-8859-1 fallback', basic('jürgen:päss', 'latin1'), { kind: 'basic', userId: 'jürgen', password: 'päss' }],
    ['latin1 bytes that happen to be valid UTF-8 read as UTF-8', basic('u:Ã©', 'latin1'), { kind: 'basic', userId: 'u', password: 'é' }],
    ['BOM is kept, not stripped', basic('\ufeffu:p'), { kind: 'basic', userId: '\ufeffu', password: 'p' }],
    ['spaces inside credentials', basic('a b: p w '), { kind: 'basic', userId: 'a b', password: ' p w ' }],
    ['256-char user-id', basic(`${'u'.repeat(256)}:p`), { kind: 'basic', userId: 'u'.repeat(256), password: 'p' }],
    ['256 astral chars count as 256', basic(`${'😀'.repeat(256)}:p`), { kind: 'basic', userId: '😀'.repeat(256), password: 'p' }],
    ['1024-char password', basic(`u:${'p'.repeat(1024)}`), { kind: 'basic', userId: 'u', password: 'p'.repeat(1024) }],
  ])('%s', (_name, header, expected) => {
    expect(parseBasicAuthorization(header)).toEqual(expected);
  });
});

describe('parseBasicAuthorization: malformed', () => {
  it.each<[string, string, string]>([
    ['leading space', ` ${basic('a:b')}`, 'no valid scheme'],
    ['tab separator', `Basic\t${b64('a:b')}`, 'no valid scheme'],
    ['only whitespace', '   ', 'no valid scheme'],
    ['junk scheme', 'Ba(sic YTpi', 'no valid scheme'],
    ['Basic alone', 'Basic', 'not base64'],
    ['Basic and space', 'Basic ', 'not base64'],
    ['two spaces', `Basic  ${b64('a:b')}`, 'not base64'],
    ['trailing space', `${basic('a:b')} `, 'not base64'],
    ['two tokens', `${basic('a:b')} ${b64('c:d')}`, 'not base64'],
    ['auth-param form', 'Basic realm="x"', 'not base64'],
    ['base64url alphabet', 'Basic YT-_Yg', 'not base64'],
    ['non-base64 char', 'Basic YTpi*', 'not base64'],
    ['too much padding', 'Basic YWI6Yw===', 'not base64'],
    ['too little padding', 'Basic YWI6Yw=', 'not base64'],
    ['padding on a full quantum', 'Basic YWI6=', 'not base64'],
    ['padding on 4n chars', 'Basic YWI6YWI6=', 'not base64'],
    ['padding in the middle', 'Basic YQ==YQ==', 'not base64'],
    ['only padding', 'Basic ==', 'not base64'],
    ['impossible length 4n+1', 'Basic YWI6Y', 'not base64'],
    ['stray bits in last symbol', 'Basic YWI6Yx==', 'not base64'],
    ['no colon', basic('alice'), 'no colon'],
    ['empty user-id', basic(':secret'), 'empty user-id'],
    ['empty password', basic('alice:'), 'empty password'],
    ['empty both', basic(':'), 'empty user-id'],
    ['NUL in user-id', basic('al\u0000ice:p'), 'control character'],
    ['LF in password', basic('alice:p\nw'), 'control character'],
    ['TAB in password', basic('alice:p\tw'), 'control character'],
    ['DEL in password', basic('alice:p\u007f'), 'control character'],
    ['latin1 control byte', basic(Buffer.from([0x61, 0x3a, 0x1b, 0xff])), 'control character'],
    ['257-char user-id', basic(`${'u'.repeat(257)}:p`), 'user-id too long'],
    ['1025-char password', basic(`u:${'p'.repeat(1025)}`), 'password too long'],
    ['header over 8 KiB', basic(`u:${'p'.repeat(6200)}`), 'too long'],
  ])('%s', (_name, header, reason) => {
    expect(reasonOf(header)).toBe(reason);
  });

  it('the 8 KiB limit is inclusive', () => {
    const at = (n: number) => `Basic ${'A'.repeat(n - 6)}`;
    expect(reasonOf(at(8192))).not.toBe('too long');
    expect(reasonOf(at(8193))).toBe('too long');
  });

  it('error messages never carry the credentials', () => {
    try {
      parseBasicAuthorization(basic('alice:hunter2\n'));
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('hunter2');
    }
  });
});

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const userId = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((s) => !s.includes(':') && noControl(s));
const password = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).filter(noControl);
const schemeCase = fc.constantFrom('Basic', 'basic', 'BASIC', 'bAsIc');

describe('properties', () => {
  it('UTF-8 credentials round-trip, padded or not, any scheme case', () => {
    fc.assert(
      fc.property(userId, password, schemeCase, fc.boolean(), (id, pw, scheme, pad) => {
        let token = b64(`${id}:${pw}`);
        if (!pad) token = token.replace(/=+$/, '');
        expect(parseBasicAuthorization(`${scheme} ${token}`)).toEqual({ kind: 'basic', userId: id, password: pw });
      }),
    );
  });

  it('ISO-8859-1 credentials round-trip whenever their bytes are not valid UTF-8', () => {
    const latin1 = fc
      .string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 30 })
      .filter((s) => !s.includes(':') && noControl(s));
    fc.assert(
      fc.property(latin1, latin1, (id, pw) => {
        const bytes = Buffer.from(`${id}:${pw}`, 'latin1');
        const isUtf8 = Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
        const got = parseBasicAuthorization(basic(bytes));
        if (!isUtf8) expect(got).toEqual({ kind: 'basic', userId: id, password: pw });
        else expect(got).toEqual({ kind: 'basic', ...splitFirst(bytes.toString('utf8')) });
      }),
    );
  });

  it('arbitrary bytes: a result or MalformedAuthorizationError, and results re-encode to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (arr) => {
        const bytes = Buffer.from(arr);
        let got: BasicAuthorization;
        try {
          got = parseBasicAuthorization(basic(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(MalformedAuthorizationError);
          return;
        }
        if (got.kind !== 'basic') throw new Error('expected basic');
        const text = `${got.userId}:${got.password}`;
        const again = Buffer.from(text, 'utf8').equals(bytes) || Buffer.from(text, 'latin1').equals(bytes);
        expect(again).toBe(true);
        expect(noControl(text)).toBe(true);
      }),
    );
  });

  it('arbitrary header strings never throw anything else, and accepted Basic tokens are canonical', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.string({ unit: fc.constantFrom(...'Basic YWI6Yw=+/ \t:'.split('')), maxLength: 30 }),
      fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='.split('')), maxLength: 30 }).map((t) => `Basic ${t}`),
    );
    fc.assert(
      fc.property(header, (h) => {
        try {
          const got = parseBasicAuthorization(h);
          if (got.kind === 'basic') {
            const token = h.slice(6);
            const canon = b64(Buffer.from(token, 'base64'));
            expect([canon, canon.replace(/=+$/, '')]).toContain(token);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(MalformedAuthorizationError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

function splitFirst(s: string): { userId: string; password: string } {
  const i = s.indexOf(':');
  return { userId: s.slice(0, i), password: s.slice(i + 1) };
}

describe('basicChallenge', () => {
  it.each([
    ['Portcullis', 'Basic realm="Portcullis", charset="UTF-8"'],
    ['', 'Basic realm="", charset="UTF-8"'],
    ['My "quoted" realm', 'Basic realm="My \\"quoted\\" realm", charset="UTF-8"'],
    ['back\\slash', 'Basic realm="back\\\\slash", charset="UTF-8"'],
  ])('%j', (realm, expected) => {
    expect(basicChallenge(realm)).toBe(expected);
  });

  it.each(['a\r\nSet-Cookie: x=1', 'tab\there', 'café', 'nul\u0000'])('refuses %j', (realm) => {
    expect(() => basicChallenge(realm)).toThrow(RangeError);
  });

  it('the quoted-string unescapes back to the realm', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }), (realm) => {
        const m = /^Basic realm="((?:[^"\\]|\\.)*)", charset="UTF-8"$/.exec(basicChallenge(realm));
        expect(m).not.toBeNull();
        expect(m![1]!.replace(/\\(.)/g, '$1')).toBe(realm);
      }),
    );
  });
});
