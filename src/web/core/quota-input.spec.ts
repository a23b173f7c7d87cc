import { describe, expect, it } from 'vitest';
import { formatBytes, parseQuotaInput, quotaInputValue } from './quota-input.js';

const MAX = 2 ** 50;

describe('parseQuotaInput', () => {
  it.each([
    ['', { kind: 'default' }],
    ['  ', { kind: 'default' }],
    ['unlimited', { kind: 'unlimited' }],
    ['Unlimited', { kind: 'unlimited' }],
    ['0', { kind: 'bytes', bytes: 0 }],
    ['1048576', { kind: 'bytes', bytes: 1048576 }],
    ['500 MB', { kind: 'bytes', bytes: 500_000_000 }],
    ['10 GiB', { kind: 'bytes', bytes: 10 * 1024 ** 3 }],
    ['10g', { kind: 'bytes', bytes: 10 * 1024 ** 3 }],
    ['1.5 KiB', { kind: 'bytes', bytes: 1536 }],
    ['2 TB', { kind: 'bytes', bytes: 2e12 }],
  ])('reads %j', (raw, setting) => {
    expect(parseQuotaInput(raw, MAX)).toEqual(setting);
  });

  it.each(['-1', '10 XB', 'lots', '1e9', '1,000', '10 GiB extra'])('refuses %j with a sentence', (raw) => {
    expect(typeof parseQuotaInput(raw, MAX)).toBe('string');
  });

  it('refuses more than the maximum', () => {
    expect(parseQuotaInput('2 PiB'.replace('PiB', 'TiB'), 1024 ** 4)).toMatch(/at most 1 TiB/);
  });
});

describe('quotaInputValue', () => {
  it.each([
    [{ kind: 'default' as const }, ''],
    [{ kind: 'unlimited' as const }, 'unlimited'],
    [{ kind: 'bytes' as const, bytes: 10 * 1024 ** 3 }, '10 GiB'],
    [{ kind: 'bytes' as const, bytes: 1000 }, '1000'],
    [{ kind: 'bytes' as const, bytes: 1_000_001 }, '1000001'],
  ])('shows %j as %j, which reads back the same', (setting, shown) => {
    expect(quotaInputValue(setting)).toBe(shown);
    expect(parseQuotaInput(shown, MAX)).toEqual(setting);
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2 ** 50)).toBe('1 PiB');
  });
});
