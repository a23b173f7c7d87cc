import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  APP_PASSWORD_ALPHABET,
  APP_PASSWORD_ENTROPY_BITS,
  APP_PASSWORD_GROUP,
  APP_PASSWORD_SYMBOLS,
  AppConnectionError,
  basicPasswordKind,
  generateAppPassword,
  initialAppConnectionState,
  transition,
  type AppConnectionAction,
  type AppConnectionState,
} from './app-connection.js';

// Pass-through spy: proves which RNG call the generator makes, without changing it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, randomInt: vi.fn(actual.randomInt) };
});

const STATES: AppConnectionState[] = ['legacy', 'disabled', 'issued'];
const ACTIONS: AppConnectionAction[] = ['enable', 'reissue', 'disable'];

describe('initialAppConnectionState', () => {
  const cutoff = new Date('2021-06-02T16:25:00+09:00');
  it.each([
    ['long before', '2010-01-01T00:00:00Z', 'legacy'],
    ['1 ms before', '2021-06-02T07:24:59.999Z', 'legacy'],
    ['exactly at the cutoff', '2021-06-02T07:25:00.000Z', 'disabled'],
    ['1 ms after', '2021-06-02T07:25:00.001Z', 'disabled'],
    ['today', '2030-01-01T00:00:00Z', 'disabled'],
  ])('%s → %s', (_name, at, expected) => {
    expect(initialAppConnectionState(new Date(at), cutoff)).toBe(expected);
  });

  it('refuses invalid dates rather than guessing', () => {
    expect(() => initialAppConnectionState(new Date('nope'), cutoff)).toThrow(RangeError);
    expect(() => initialAppConnectionState(cutoff, new Date(Number.NaN))).toThrow(RangeError);
  });

  it('is legacy exactly when strictly before the cutoff', () => {
    const ms = fc.integer({ min: -8.64e15, max: 8.64e15 });
    fc.assert(
      fc.property(ms, ms, (r, c) => {
        expect(initialAppConnectionState(new Date(r), new Date(c))).toBe(r < c ? 'legacy' : 'disabled');
      }),
    );
  });
});

describe('transition', () => {
  it.each<[AppConnectionState, AppConnectionAction, AppConnectionState | 'conflict', boolean]>([
    ['disabled', 'enable', 'issued', true],
    ['legacy', 'enable', 'conflict', false],
    ['issued', 'enable', 'conflict', false],
    ['legacy', 'reissue', 'issued', true],
    ['issued', 'reissue', 'issued', true],
    ['disabled', 'reissue', 'conflict', false],
    ['legacy', 'disable', 'disabled', false],
    ['issued', 'disable', 'disabled', false],
    ['disabled', 'disable', 'disabled', false],
  ])('%s --%s--> %s', (from, action, to, issues) => {
    if (to === 'conflict') {
      try {
        transition(from, action);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(AppConnectionError);
        expect(e).toMatchObject({ code: 'app_connection_conflict', state: from, action });
      }
    } else {
      expect(transition(from, action)).toEqual({ state: to, issuesPassword: issues });
    }
  });

  it('unknown states or actions from outside are conflicts, prototype keys included', () => {
    for (const [s, a] of [['legacy', '__proto__'], ['__proto__', 'enable'], ['constructor', 'disable'], ['issued', 'toString']]) {
      expect(() => transition(s as AppConnectionState, a as AppConnectionAction)).toThrow(AppConnectionError);
    }
  });

  it('callers cannot corrupt the table through a returned outcome', () => {
    const o = transition('disabled', 'enable');
    o.state = 'legacy';
    expect(transition('disabled', 'enable').state).toBe('issued');
  });

  it('legacy never comes back, and a password is issued exactly on entering or staying in issued', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATES), fc.array(fc.constantFrom(...ACTIONS), { maxLength: 30 }), (start, actions) => {
        let state = start;
        let left = start !== 'legacy';
        for (const action of actions) {
          let out;
          try {
            out = transition(state, action);
          } catch (e) {
            expect(e).toBeInstanceOf(AppConnectionError);
            continue; // a conflict changes nothing
          }
          expect(out.issuesPassword).toBe(out.state === 'issued');
          if (action === 'disable') expect(out.state).toBe('disabled');
          state = out.state;
          if (state !== 'legacy') left = true;
          if (left) expect(state).not.toBe('legacy');
        }
      }),
    );
  });

  it('no transition at all leads to legacy', () => {
    for (const s of STATES) {
      for (const a of ACTIONS) {
        try {
          expect(transition(s, a).state).not.toBe('legacy');
        } catch (e) {
          expect(e).toBeInstanceOf(AppConnectionError);
        }
      }
    }
  });
});

describe('basicPasswordKind', () => {
  it.each<[AppConnectionState, 'login' | 'issued' | null]>([
    ['legacy', 'login'],
    ['issued', 'issued'],
    ['disabled', null],
  ])('%s → %s', (state, kind) => {
    expect(basicPasswordKind(state)).toBe(kind);
  });
});

describe('generateAppPassword', () => {
  afterEach(() => {
    vi.mocked(randomInt).mockClear();
  });

  it('alphabet: 32 distinct symbols, none of the ambiguous 0 O 1 l I', () => {
    expect(new Set(APP_PASSWORD_ALPHABET).size).toBe(APP_PASSWORD_ALPHABET.length);
    expect(APP_PASSWORD_ALPHABET.length).toBe(32);
    for (const c of '0O1lI') expect(APP_PASSWORD_ALPHABET).not.toContain(c);
    expect(APP_PASSWORD_ALPHABET).toMatch(/^[a-z2-9]+$/);
  });

  it('entropy bound: |alphabet| ^ symbols ≥ 2^128', () => {
    expect(BigInt(APP_PASSWORD_ALPHABET.length) ** BigInt(APP_PASSWORD_SYMBOLS) >= 2n ** 128n).toBe(true);
    expect(APP_PASSWORD_ENTROPY_BITS).toBe(140);
    expect(APP_PASSWORD_ENTROPY_BITS).toBeGreaterThanOrEqual(128);
  });

  it('shape: 7 groups of 4 from the alphabet, joined by hyphens', () => {
    const group = `[${APP_PASSWORD_ALPHABET}]{${APP_PASSWORD_GROUP}}`;
    const re = new RegExp(`^${group}(-${group}){6}$`);
    for (let i = 0; i < 200; i++) expect(generateAppPassword()).toMatch(re);
  });

  it('draws every symbol with randomInt(|alphabet|): uniform by rejection, no modulo bias', () => {
    generateAppPassword();
    const calls = vi.mocked(randomInt).mock.calls;
    expect(calls).toHaveLength(APP_PASSWORD_SYMBOLS);
    for (const args of calls) expect(args).toEqual([APP_PASSWORD_ALPHABET.length]);
  });

  it('maps the whole randomInt range onto the whole alphabet', () => {
    vi.mocked(randomInt).mockImplementationOnce(() => 0);
    expect(generateAppPassword()[0]).toBe(APP_PASSWORD_ALPHABET[0]);
    vi.mocked(randomInt).mockImplementationOnce(() => 31);
    expect(generateAppPassword()[0]).toBe(APP_PASSWORD_ALPHABET[31]);
  });

  it('symbol frequencies pass a chi-square test (df 31, p < 1e-9 to fail)', () => {
    const counts = new Map<string, number>();
    const n = 5000;
    for (let i = 0; i < n; i++) {
      for (const c of generateAppPassword().replaceAll('-', '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const expected = (n * APP_PASSWORD_SYMBOLS) / APP_PASSWORD_ALPHABET.length;
    let chi2 = 0;
    for (const c of APP_PASSWORD_ALPHABET) chi2 += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
    expect(counts.size).toBe(32);
    expect(chi2).toBeLessThan(103.4);
  });

  it('does not repeat', () => {
    const seen = new Set(Array.from({ length: 2000 }, generateAppPassword));
    expect(seen.size).toBe(2000);
  });
});
