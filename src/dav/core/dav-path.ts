/**
 * Request URL → path inside a mount, for WebDAV (pure; no Nest, no filesystem).
 *
 * The URL path is split into segments and each is percent-decoded exactly once, so `%2e%2e` is
 * `..` (and then refused, as every `..` is), `%252e` is the literal name `%2e`, and `%2F`
 * can never smuggle a separator. Empty and `.` segments are dropped (`//`, `/./`), which is what
 * the ACL canonicaliser does too, so a sublogin is decided on the same path the storage uses.
 * `..` is refused rather than resolved: a client has no reason to send it, and resolving it
 * could step out of the mount's prefix.
 */
export class DavPathError extends Error {
  constructor(readonly reason: 'not_in_mount' | 'bad_percent_encoding' | 'invalid_utf8' | 'separator_in_segment' | 'dot_dot') {
    super(`invalid WebDAV path: ${reason.replaceAll('_', ' ')}`);
    this.name = 'DavPathError';
  }
}

const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/** The path part of a request target: query and fragment cut. */
export function pathOfUrl(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * `rawPath` (still percent-encoded, e.g. `/dav/a%20b/`) on the mount at `prefix` → the decoded
 * path inside the mount (`/a b`), `/` for the mount root. The result still has to pass the
 * storage's own checks (control characters, length, reserved names).
 */
export function decodeMountPath(prefix: string, rawPath: string): string {
  if (rawPath !== prefix && !rawPath.startsWith(`${prefix}/`)) throw new DavPathError('not_in_mount');
  const segments: string[] = [];
  for (const raw of rawPath.slice(prefix.length).split('/')) {
    if (BAD_PERCENT.test(raw)) throw new DavPathError('bad_percent_encoding');
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new DavPathError('invalid_utf8');
    }
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw new DavPathError('dot_dot');
    if (/[/\\\u0000]/.test(seg)) throw new DavPathError('separator_in_segment');
    segments.push(seg);
  }
  return `/${segments.join('/')}`;
}

/** The mount (by prefix) holding a decoded absolute path, longest prefix first; null if none. */
export function mountOfPath<P extends string>(prefixes: readonly P[], decodedPath: string): P | null {
  let best: P | null = null;
  for (const p of prefixes) {
    if ((decodedPath === p || decodedPath.startsWith(`${p}/`)) && (best === null || p.length > best.length)) best = p;
  }
  return best;
}

/**
 * A decoded absolute path (as `parseDestination` gives it) inside the mount at `prefix` → the
 * path inside the mount, with the same rules as `decodeMountPath` (but no second decoding).
 */
export function mountRelative(prefix: string, decodedPath: string): string {
  if (decodedPath !== prefix && !decodedPath.startsWith(`${prefix}/`)) throw new DavPathError('not_in_mount');
  const segments = decodedPath
    .slice(prefix.length)
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new DavPathError('dot_dot');
  return `/${segments.join('/')}`;
}

/** `/a/b` → `/a`, `/a` → `/`, `/` → null. */
export function parentOf(path: string): string | null {
  if (path === '/') return null;
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** `path` is `root` or inside it, segment-wise. */
export function isWithinPath(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}
