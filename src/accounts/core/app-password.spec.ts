import { describe, expect, it } from 'vitest';
import { appPasswordLimits, appPasswordNameProblem, parseStoredRules } from './app-password.js';

describe('app password names', () => {
  it.each(['laptop', 'NAS rclone #2', 'phone ☎', 'x', 'é'.repeat(64), '名前'])('accepts %j', (name) => {
    expect(appPasswordNameProblem(name)).toBeNull();
  });

  it.each(['', 'x'.repeat(65), ' leading', 'trailing ', 'tab\there', 'new\nline', 'nul\u0000', 'zero\u200bwidth', '\u202eright-to-left'])('refuses %j', (name) => {
    expect(appPasswordNameProblem(name)).toMatch(/name must/);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(appPasswordNameProblem('😀'.repeat(64))).toBeNull();
    expect(appPasswordNameProblem('😀'.repeat(65))).toMatch(/1 to 64/);
  });
});

describe('stored rules', () => {
  it('reads null as full rights and a JSON array as rules', () => {
    expect(parseStoredRules(null)).toBeNull();
    expect(parseStoredRules('[{"path":"/dav/read/a","effect":"allow"}]')).toEqual([{ path: '/dav/read/a', effect: 'allow' }]);
  });

  it('never widens a password whose stored set does not read as rules', () => {
    expect(parseStoredRules('{"path":"/"}')).toEqual([]);
    expect(parseStoredRules('[{"path":"/dav/","effect":"maybe"}]')).toEqual([]);
  });
});

describe('limits of an app password', () => {
  it('are none without expiry and ranges, else both as the principal carries them', () => {
    expect(appPasswordLimits({ expiresAt: null, allowedRanges: null })).toBeNull();
    expect(appPasswordLimits({ expiresAt: null, allowedRanges: [] })).toBeNull();
    expect(appPasswordLimits({ expiresAt: new Date(5000), allowedRanges: null })).toEqual({ expiresAt: 5000, allowedRanges: null });
    expect(appPasswordLimits({ expiresAt: null, allowedRanges: ['10.0.0.0/8'] })).toEqual({ expiresAt: null, allowedRanges: ['10.0.0.0/8'] });
  });
});
