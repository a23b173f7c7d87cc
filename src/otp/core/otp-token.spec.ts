import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkOtpTime,
  makeOtp,
  OtpError,
  otpReplayKey,
  parseOtp,
  verifyAsSentOrPlus,
  verifyOtpAuth,
  type OtpAlgorithm,
  type ParsedOtp,
} from './otp-token.js';

const MD5 = '9fde74d0ae31782359578a89d91b4c74'; // openssl: md5("1700000000:abc,def+g=:secret")
const HMAC = '515be8238c160197406fcafe2b4eb83860bcc078af4db7c091ac481e5a36787a'; // key "secret", msg "1700000000:abc,def+g="

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof OtpError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseOtp: valid tokens', () => {
  it.each([
    ['md5', `alice:1700000000:abc,def+g=:${MD5}`, { login: 'alice', expire: 1700000000, expireText: '1700000000', salt: 'abc,def+g=', auth: MD5, algorithm: 'md5' }],
    ['md5 upper case', `alice:1700000000:abc,def+g=:${MD5.toUpperCase()}`, { auth: MD5, algorithm: 'md5' }],
    ['hmac', `alice:1700000000:abc,def+g=:${HMAC}`, { auth: HMAC, algorithm: 'hmac-sha256' }],
    ['salt with colons', `bob-sub:1700000000:a:b::c:${MD5}`, { login: 'bob-sub', salt: 'a:b::c' }],
    ['leading zeros kept as text', `alice:001700000000:s:${MD5}`, { expire: 1700000000, expireText: '001700000000' }],
    ['12-digit expire', `alice:999999999999:s:${MD5}`, { expire: 999999999999 }],
    ['expire 0', `alice:0:s:${MD5}`, { expire: 0 }],
    ['non-ASCII salt and login', `ålice:1:sålt 😀:${MD5}`, { login: 'ålice', salt: 'sålt 😀' }],
    ['70-char login', `${'a'.repeat(70)}:1:s:${MD5}`, { login: 'a'.repeat(70) }],
    ['512-char salt', `a:1:${'s'.repeat(512)}:${MD5}`, { salt: 's'.repeat(512) }],
  ])('%s', (_name, raw, expected) => {
    expect(parseOtp(raw)).toMatchObject(expected);
  });
});

describe('parseOtp: malformed tokens', () => {
  it.each([
    ['empty', ''],
    ['no colon', 'alice'],
    ['two fields', `alice:${MD5}`],
    ['three fields (no SALT)', `alice:1700000000:${MD5}`],
    ['empty SALT', `alice:1700000000::${MD5}`],
    ['empty LOGIN', `:1700000000:s:${MD5}`],
    ['71-char login', `${'a'.repeat(71)}:1:s:${MD5}`],
    ['control char in login', `al\u0000ice:1:s:${MD5}`],
    ['DEL in login', `al\u007fice:1:s:${MD5}`],
    ['control char in salt', `alice:1:s\nx:${MD5}`],
    ['513-char salt', `a:1:${'s'.repeat(513)}:${MD5}`],
    ['empty EXPIRE', `alice::s:${MD5}`],
    ['13-digit EXPIRE', `alice:1000000000000:s:${MD5}`],
    ['negative EXPIRE', `alice:-1:s:${MD5}`],
    ['signed EXPIRE', `alice:+1:s:${MD5}`],
    ['decimal EXPIRE', `alice:1.5:s:${MD5}`],
    ['exponent EXPIRE', `alice:1e9:s:${MD5}`],
    ['hex EXPIRE', `alice:0x10:s:${MD5}`],
    ['space in EXPIRE', `alice: 1:s:${MD5}`],
    ['non-ASCII digits', `alice:١٢٣:s:${MD5}`],
    ['empty AUTH', 'alice:1:s:'],
    ['31 hex', `alice:1:s:${MD5.slice(1)}`],
    ['33 hex', `alice:1:s:${MD5}0`],
    ['63 hex', `alice:1:s:${HMAC.slice(1)}`],
    ['40 hex (sha1 length)', `alice:1:s:${'a'.repeat(40)}`],
    ['non-hex AUTH', `alice:1:s:${'g'.repeat(32)}`],
    ['AUTH with trailing newline', `alice:1:s:${MD5}\n`],
    ['too long overall', `a:1:${'s'.repeat(1024)}:${MD5}`],
    ['lone surrogate in salt', `alice:1:s\ud800:${MD5}`],
  ])('%s', (_name, raw) => {
    expect(codeOf(() => parseOtp(raw))).toBe('otp_malformed');
  });

  it('refuses non-string input (JSON bodies can carry anything)', () => {
    for (const v of [undefined, null, 17, ['a:1:s:' + MD5], { otp: 1 }]) {
      expect(codeOf(() => parseOtp(v as unknown as string))).toBe('otp_malformed');
    }
  });

  it('the 1024 total cap is only an early bound: the field caps already keep tokens below it', () => {
    const longest = `${'a'.repeat(70)}:${'9'.repeat(12)}:${'s'.repeat(512)}:${HMAC}`;
    expect(longest.length).toBeLessThan(1024);
    expect(parseOtp(longest).algorithm).toBe('hmac-sha256');
  });
});

describe('checkOtpTime', () => {
  const otp = (expire: number): ParsedOtp => ({ ...parseOtp(`a:${expire}:s:${MD5}`) });
  it.each([
    [1000, 1000, 60, undefined],
    [999, 1000, 60, 'otp_expired'],
    [1060, 1000, 60, undefined],
    [1061, 1000, 60, 'otp_too_long'],
    [0, 1000, 86400, 'otp_expired'],
    [999999999999, 1000, 86400, 'otp_too_long'],
  ])('expire %i at now %i, ttl %i → %s', (expire, now, ttl, code) => {
    expect(codeOf(() => checkOtpTime(otp(expire), now, ttl))).toBe(code);
  });

  it('accepts exactly the window [now, now + ttl]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999_999_999_999 }),
        fc.integer({ min: 0, max: 999_999_999_999 }),
        fc.integer({ min: 0, max: 10 ** 6 }),
        (expire, now, ttl) => {
          const code = codeOf(() => checkOtpTime(otp(expire), now, ttl));
          const want = expire < now ? 'otp_expired' : expire > now + ttl ? 'otp_too_long' : undefined;
          expect(code).toBe(want);
        },
      ),
    );
  });
});

describe('verifyOtpAuth', () => {
  it.each([
    ['md5 vector', `alice:1700000000:abc,def+g=:${MD5}`, 'secret', true],
    ['md5 vector, upper-case AUTH', `alice:1700000000:abc,def+g=:${MD5.toUpperCase()}`, 'secret', true],
    ['hmac vector', `alice:1700000000:abc,def+g=:${HMAC}`, 'secret', true],
    ['md5 wrong password', `alice:1700000000:abc,def+g=:${MD5}`, 'Secret', false],
    ['hmac wrong password', `alice:1700000000:abc,def+g=:${HMAC}`, 'secret ', false],
    // openssl: md5("1700000000:s:пароль") — the password is hashed as UTF-8
    ['md5 UTF-8 password', 'u:1700000000:s:421f81fe603c86102d95e70f59169454', 'пароль', true],
    // openssl: HMAC-SHA256(key "pässword", "1700000000:a:b:c") — salt with colons
    ['hmac UTF-8 key, salt with colons', 'u:1700000000:a:b:c:90ae1d46319be8b3a09bb12bfaee95bdf8c182e766fe1e5f5b93e784273890fd', 'pässword', true],
    ['leading zeros change the MAC', `alice:01700000000:abc,def+g=:${MD5}`, 'secret', false],
    ['login is not covered by the MAC', `mallory:1700000000:abc,def+g=:${MD5}`, 'secret', true],
  ])('%s', (_name, raw, password, ok) => {
    expect(verifyOtpAuth(parseOtp(raw), password)).toBe(ok);
  });

  it('md5 and hmac tokens of the same inputs are not interchangeable', () => {
    const hmacToken = parseOtp(`alice:1700000000:abc,def+g=:${HMAC}`);
    expect(verifyOtpAuth({ ...hmacToken, algorithm: 'md5' }, 'secret')).toBe(false);
  });
});

const algorithm = fc.constantFrom<OtpAlgorithm>('md5', 'hmac-sha256');
const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const login = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => !s.includes(':') && noControl(s));
const salt = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter(noControl);
const password = fc.string({ unit: 'grapheme', maxLength: 40 });
const expire = fc.integer({ min: 0, max: 999_999_999_999 });

describe('verifyAsSentOrPlus: a base64 salt whose `+` arrived as a space', () => {
  const base64Salt = fc.uint8Array({ minLength: 1, maxLength: 48 }).map((b) => Buffer.from(b).toString('base64'));

  it('verifies the `+` spelling, and keys the replay set on it, for any base64 salt and either algorithm', () => {
    fc.assert(
      fc.property(login, password, expire, base64Salt, algorithm, password, (l, p, e, s, alg, other) => {
        const token = makeOtp(l, p, e, s, alg);
        const asSent = { ...parseOtp(token), salt: s.replaceAll('+', ' ') };
        const verified = verifyAsSentOrPlus(asSent, p);
        expect(verified).not.toBeNull();
        expect(verified!.salt).toBe(s);
        // One token, however it was spelled on the way.
        expect(otpReplayKey(verified!)).toBe(otpReplayKey(token));
        expect(verifyAsSentOrPlus(parseOtp(token), p)).toEqual(parseOtp(token));
        if (other !== p) expect(verifyAsSentOrPlus(asSent, other)).toBeNull();
      }),
    );
  });

  it('takes a salt with a real space as sent, and tries `+` only when that fails', () => {
    const spaced = parseOtp(makeOtp('alice', 'pw', 1700000000, 'a b', 'md5'));
    expect(verifyAsSentOrPlus(spaced, 'pw')).toBe(spaced);
    const plus = parseOtp(makeOtp('alice', 'pw', 1700000000, 'a+b', 'md5').replace('a+b', 'a b'));
    expect(verifyAsSentOrPlus(plus, 'pw')?.salt).toBe('a+b');
    expect(verifyAsSentOrPlus(plus, 'other')).toBeNull();
    // No space: nothing else is tried.
    expect(verifyAsSentOrPlus(parseOtp(makeOtp('alice', 'pw', 1700000000, 'a+b', 'md5').replace('a+b', 'a-b')), 'pw')).toBeNull();
  });
});

describe('properties', () => {
  it('makeOtp → parseOtp round-trips and verifies with the right password only', () => {
    fc.assert(
      fc.property(login, password, expire, salt, algorithm, password, (l, p, e, s, alg, other) => {
        const parsed = parseOtp(makeOtp(l, p, e, s, alg));
        expect(parsed).toMatchObject({ login: l, expire: e, expireText: String(e), salt: s, algorithm: alg });
        expect(verifyOtpAuth(parsed, p)).toBe(true);
        if (other !== p) expect(verifyOtpAuth(parsed, other)).toBe(false);
      }),
    );
  });

  it('changing any one field breaks the MAC', () => {
    fc.assert(
      fc.property(login, password, expire, salt, algorithm, (l, p, e, s, alg) => {
        const t = parseOtp(makeOtp(l, p, e, s, alg));
        expect(verifyOtpAuth({ ...t, expireText: String(e + 1), expire: e + 1 }, p)).toBe(false);
        expect(verifyOtpAuth({ ...t, salt: s + 'x' }, p)).toBe(false);
      }),
    );
  });

  it('AUTH case does not change the replay key; any other change does', () => {
    fc.assert(
      fc.property(login, password, expire, salt, algorithm, (l, p, e, s, alg) => {
        const token = makeOtp(l, p, e, s, alg);
        const i = token.lastIndexOf(':');
        const upper = token.slice(0, i + 1) + token.slice(i + 1).toUpperCase();
        expect(otpReplayKey(upper)).toBe(otpReplayKey(token));
        expect(otpReplayKey(parseOtp(token))).toBe(otpReplayKey(token));
        expect(otpReplayKey(token)).toMatch(/^[0-9a-f]{64}$/);
        expect(otpReplayKey(makeOtp(l, p, e, s + 'x', alg))).not.toBe(otpReplayKey(token));
        expect(otpReplayKey(makeOtp(l + 'x', p, e, s, alg))).not.toBe(otpReplayKey(token));
      }),
    );
  });

  it('a login/salt boundary shift yields a different replay key', () => {
    // "a:1:b:c:AUTH" parses as login a, salt "b:c"; no other split of the same fields collides.
    const k1 = otpReplayKey(`ab:1:c:${MD5}`);
    const k2 = otpReplayKey(`a:1:bc:${MD5}`);
    expect(k1).not.toBe(k2);
  });

  it('parseOtp never throws anything but OtpError(otp_malformed) on arbitrary input', () => {
    const raw = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 1100 }),
      fc.array(fc.constantFrom(':', 'a', '1', 'f', 'F', '0', '\u0000', '\ud800', 'é'), { maxLength: 120 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(raw, (r) => {
        try {
          const p = parseOtp(r);
          // Whatever is accepted obeys every documented bound.
          expect(r.length).toBeLessThanOrEqual(1024);
          expect(p.login.length).toBeGreaterThan(0);
          expect(p.login.length).toBeLessThanOrEqual(70);
          expect(p.salt.length).toBeGreaterThan(0);
          expect(p.salt.length).toBeLessThanOrEqual(512);
          expect(p.auth).toMatch(/^([0-9a-f]{32}|[0-9a-f]{64})$/);
          expect(Number.isSafeInteger(p.expire)).toBe(true);
          expect(`${p.login}:${p.expireText}:${p.salt}:${p.auth}`).toBe(r.slice(0, r.lastIndexOf(':') + 1) + r.slice(r.lastIndexOf(':') + 1).toLowerCase());
        } catch (e) {
          expect(e).toBeInstanceOf(OtpError);
          expect((e as OtpError).code).toBe('otp_malformed');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
