/** The headers of LOCK and UNLOCK: Timeout (RFC 4918 §10.7) and Lock-Token (§10.5). */
import { ABSOLUTE_URI, DavHeaderError, type HeaderValue, singleHeader } from './header-syntax.js';

// ---------------------------------------------------------------------------------------------
// Timeout (RFC 4918 §10.7)

export interface TimeoutOptions {
  /** When the client sends none. */
  readonly defaultSeconds: number;
  /** Every lock expires; `Infinite` and larger requests get this. */
  readonly maxSeconds: number;
}

export const DEFAULT_TIMEOUT_OPTIONS: TimeoutOptions = { defaultSeconds: 3600, maxSeconds: 7 * 24 * 3600 };

/**
 * `Timeout: Infinite, Second-4100000000` — a list in the client's order of preference; we take
 * the first entry, capped at `maxSeconds` (the server may pick any, §10.7). `Second-0` becomes
 * one second: a lock is never granted already expired. Digits beyond any sane count are
 * capped, not parsed as a huge number.
 */
export function parseTimeout(value: HeaderValue, options: Partial<TimeoutOptions> = {}): number {
  const { defaultSeconds, maxSeconds } = { ...DEFAULT_TIMEOUT_OPTIONS, ...options };
  // Several Timeout headers are one list (RFC 9110 §5.3), so an array is joined, not refused.
  const raw = typeof value === 'string' || value === undefined ? value : value.join(',');
  if (raw === undefined) return defaultSeconds;
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new DavHeaderError('Timeout', 'empty');
  const seconds = entries.map((entry) => {
    if (/^infinite$/i.test(entry)) return Infinity;
    const m = /^second-(\d+)$/i.exec(entry);
    if (m === null) throw new DavHeaderError('Timeout', 'expected Second-N or Infinite');
    return m[1]!.length > 15 ? Infinity : Number(m[1]);
  });
  return Math.min(Math.max(seconds[0]!, 1), maxSeconds);
}

// ---------------------------------------------------------------------------------------------
// Lock-Token (RFC 4918 §10.5)

/** `Lock-Token: <urn:uuid:...>` → `urn:uuid:...`. Required: UNLOCK without it is a 400. */
export function parseLockToken(value: HeaderValue): string {
  const raw = singleHeader('Lock-Token', value)?.trim();
  if (raw === undefined || raw === '') throw new DavHeaderError('Lock-Token', 'missing');
  const m = /^<([^<>]*)>$/.exec(raw);
  if (m === null || !ABSOLUTE_URI.test(m[1]!)) throw new DavHeaderError('Lock-Token', 'expected <absolute-URI>');
  return m[1]!;
}
