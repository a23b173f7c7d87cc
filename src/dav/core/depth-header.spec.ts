import { describe, expect, it } from 'vitest';
import { type Depth, parseDepth } from './depth-header.js';
import { DavHeaderError } from './header-syntax.js';
import { headerError } from '../../../test/support/dav-header-error.js';

describe('parseDepth', () => {
  it.each<[string | undefined, Depth, Depth]>([
    [undefined, 'infinity', 'infinity'],
    [undefined, 0, 0],
    ['0', 'infinity', 0],
    ['1', 'infinity', 1],
    ['infinity', 0, 'infinity'],
    ['Infinity', 0, 'infinity'],
    [' 1 ', 0, 1],
  ])('%s (default %s) → %s', (raw, def, expected) => {
    expect(parseDepth(raw, def)).toBe(expected);
  });

  it.each(['', '2', '-1', '01', 'inf', 'infinite', '1,0', '0 1'])('refuses %j', (raw) => {
    expect(headerError(() => parseDepth(raw, 0)).header).toBe('Depth');
  });

  it('refuses a depth the method does not take (LOCK: 0 or infinity)', () => {
    expect(parseDepth('0', 'infinity', [0, 'infinity'])).toBe(0);
    expect(headerError(() => parseDepth('1', 'infinity', [0, 'infinity'])).reason).toMatch(/not allowed/);
  });

  it('refuses a header sent twice', () => {
    expect(() => parseDepth(['0', '1'], 0)).toThrow(DavHeaderError);
    expect(parseDepth(['1'], 0)).toBe(1);
  });
});
