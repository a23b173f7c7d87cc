/**
 * Where to go after signing in (`?next=`). Only a path on this site: `//evil.example`,
 * `/\evil.example` (browsers read `\` as `/`), absolute URLs and control characters would turn
 * the sign-in page into an open redirect, so anything but a plain local path falls back.
 */
export function safeNextPath(next: unknown, fallback = '/mypage'): string {
  if (typeof next !== 'string' || next.length > 2000) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  if (/[\u0000-\u001f\u007f]/.test(next)) return fallback;
  // The sign-in page itself would be a loop.
  if (next === '/sign-in' || next.startsWith('/sign-in?')) return fallback;
  return next;
}
