import { describe, expect, it } from 'vitest';
import { parseLockToken, parseTimeout } from './lock-headers.js';
import { headerError } from '../../../test/support/dav-header-error.js';

const T1 = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';
const T2 = 'urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092';

describe('parseTimeout', () => {
  const WEEK = 604800;

  it.each<[string | string[] | undefined, number]>([
    [undefined, 3600],
    ['Second-10', 10],
    ['second-10', 10],
    ['Infinite', WEEK],
    ['Infinite, Second-4100000000', WEEK],
    ['Second-4100000000', WEEK],
    ['Second-99999999999999999999999999999', WEEK],
    ['Second-604800', WEEK],
    ['Second-0', 1],
    ['Second-60, Infinite', 60],
    [' Second-60 ,, Second-5', 60],
    [['Second-30', 'Infinite'], 30],
  ])('%j → %i', (raw, seconds) => {
    expect(parseTimeout(raw)).toBe(seconds);
  });

  it('takes other defaults and caps', () => {
    expect(parseTimeout(undefined, { defaultSeconds: 120 })).toBe(120);
    expect(parseTimeout('Infinite', { maxSeconds: 3600 })).toBe(3600);
  });

  it.each(['', ',', 'Second-', 'Second--1', 'Second-1.5', 'Seconds-10', '10', 'Infinite, junk', 'Second-1 0'])('refuses %j', (raw) => {
    expect(headerError(() => parseTimeout(raw)).header).toBe('Timeout');
  });
});

describe('parseLockToken', () => {
  it.each([
    [`<${T1}>`, T1],
    [` <opaquelocktoken:abc> `, 'opaquelocktoken:abc'],
  ])('%s', (raw, token) => {
    expect(parseLockToken(raw)).toBe(token);
  });

  it.each([undefined, '', T1, `<${T1}`, '<>', '<no-scheme>', '<urn:a b>', `<${T1}><${T2}>`, `(<${T1}>)`])('refuses %j', (raw) => {
    expect(headerError(() => parseLockToken(raw)).header).toBe('Lock-Token');
  });
});
