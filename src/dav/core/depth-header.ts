/** The Depth header (RFC 4918 §10.2): how far below the request URI a method acts. */
import { DavHeaderError, type HeaderValue, singleHeader } from './header-syntax.js';

export type Depth = 0 | 1 | 'infinity';

/**
 * `0`, `1` or `infinity` (case-insensitive); absent → `defaultDepth`. A value outside `allowed`
 * is refused: LOCK and COPY take only 0 or infinity, DELETE and MOVE only infinity (§9.6, §9.8,
 * §9.9, §9.10.3), and answering such a request at another depth would do something unasked.
 */
export function parseDepth(
  value: HeaderValue,
  defaultDepth: Depth,
  allowed: readonly Depth[] = [0, 1, 'infinity'],
): Depth {
  const raw = singleHeader('Depth', value);
  if (raw === undefined) return defaultDepth;
  const text = raw.trim().toLowerCase();
  const depth: Depth | null = text === '0' ? 0 : text === '1' ? 1 : text === 'infinity' ? 'infinity' : null;
  if (depth === null) throw new DavHeaderError('Depth', 'expected 0, 1 or infinity');
  if (!allowed.includes(depth)) throw new DavHeaderError('Depth', `${depth} not allowed here`);
  return depth;
}
