import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatSubject, parseSubject } from './subject.js';

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
});
