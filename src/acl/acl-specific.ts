/**
 * The `specific` part of an ACL path for a target taken from an already decoded source (a query
 * parameter, a JSON body field): each segment percent-encoded, so that canonicalisation — which
 * decodes once, as for a URL path — sees the name itself. `a%20b` stays the name `a%20b`, `a;b`
 * is not cut as a matrix parameter, and `..` stays a dot segment (resolved, and refused above the
 * action). Undefined when the value is not a string: the guard then decides the bare action,
 * which rules on specific targets do not cover.
 */
export function aclSpecificOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const segments = value.split('/').map((s) => encodeURIComponent(s));
  return (value.startsWith('/') ? '' : '/') + segments.join('/');
}
