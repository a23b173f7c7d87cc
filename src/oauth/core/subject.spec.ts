import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatSubject, isUuid, parseSubject } from './subject.js';

describe('OAuth subject', () => {
  const a = randomUUID();
  const s = randomUUID();

  it('round-trips accounts and sublogins', () => {
    expect(parseSubject(formatSubject({ accountId: a, subloginId: null }))).toEqual({ accountId: a, subloginId: null });
    expect(parseSubject(formatSubject({ accountId: a, subloginId: s }))).toEqual({ accountId: a, subloginId: s });
    expect(formatSubject({ accountId: a, subloginId: s })).toBe(`${a}/${s}`);
  });

  it.each([undefined, 42, '', 'alice', `${a}/`, `${a}/${s}/x`, `${a.toUpperCase()}`, ` ${a}`, `${a}/alice`])('refuses %s', (v) => {
    expect(parseSubject(v)).toBeNull();
  });

  it('tells UUIDs (as ids are written) from anything else, the same on every call', () => {
    for (let i = 0; i < 3; i++) expect([isUuid(a), isUuid(s)]).toEqual([true, true]);
    for (const v of [undefined, 42, '', a.toUpperCase(), ` ${a}`, `${a}/${s}`, a.slice(1)]) expect(isUuid(v)).toBe(false);
  });
});
