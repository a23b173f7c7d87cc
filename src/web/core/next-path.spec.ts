import { describe, expect, it } from 'vitest';
import { safeNextPath } from './next-path.js';

describe('safeNextPath', () => {
  it.each(['/mypage', '/mypage/sublogins/backup?path=%2Ffile%2Flist', '/operator/audit?login=a&type=auth.login'])('keeps a local path: %s', (p) => {
    expect(safeNextPath(p)).toBe(p);
  });

  it.each([
    ['protocol-relative', '//evil.example/x'],
    ['backslash', '/\\evil.example'],
    ['absolute', 'https://evil.example/'],
    ['relative', 'mypage'],
    ['javascript', 'javascript:alert(1)'],
    ['control character', '/mypage\r\nSet-Cookie: x=1'],
    ['the sign-in page', '/sign-in?next=/x'],
    ['not a string', ['/mypage']],
    ['missing', undefined],
  ])('falls back for %s', (_label, p) => {
    expect(safeNextPath(p)).toBe('/mypage');
  });
});
