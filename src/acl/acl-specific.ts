import { DomainError } from '../errors/domain-error.js';

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
  // A lone surrogate (JSON can carry one) has no UTF-8 form, so no URL could name this target, and
  // encodeURIComponent would throw a URIError (a 500): refused like any path that cannot be read.
  if (!value.isWellFormed()) throw new DomainError('path_invalid', 'the path is not well-formed Unicode');
  // Names made only of what encodeURIComponent leaves alone (most are) need no encoding pass.
  const encoded = URI_UNRESERVED.test(value) ? value : value.split('/').map((s) => encodeURIComponent(s)).join('/');
  return (value.startsWith('/') ? '' : '/') + encoded;
}

/** The characters encodeURIComponent never changes, and the separator. */
const URI_UNRESERVED = /^[A-Za-z0-9\-_.!~*'()/]*$/;
