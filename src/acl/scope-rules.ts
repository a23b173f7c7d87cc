import { DomainError } from '../errors/domain-error.js';
import { AclResolver, type AclRule as Rule } from './core/acl-resolver.js';

/**
 * What each OAuth scope covers in ACL paths (contract §4.4). A token's rights are its scopes
 * intersected with the ACL of the user who granted it; this table is the scope half. A scope
 * not listed here covers no ACL path (first-party scopes guard non-ACL routes such as /api/me).
 */
export const SCOPE_ACL_PATHS: Readonly<Record<string, readonly string[]>> = {
  'file:read': ['/file/list', '/file/info', '/file/download'],
  'file:write': ['/file/upload', '/file/mkdir', '/file/move', '/file/copy'],
  'file:delete': ['/file/delete'],
  'stat:read': ['/stat/'],
  sublogin: ['/sublogin/'],
  // `/v2/dav/` serves the main storage, whose ACL class is `dav`.
  dav: ['/dav/'],
};

/** The scopes as allow rules: the resolver then answers "does some scope cover this path?". */
export function scopeResolver(scopes: readonly string[]): AclResolver {
  const rules: Rule[] = [];
  for (const scope of new Set(scopes)) {
    const paths = Object.hasOwn(SCOPE_ACL_PATHS, scope) ? SCOPE_ACL_PATHS[scope]! : [];
    for (const path of paths) rules.push({ path, effect: 'allow' });
  }
  return new AclResolver(rules);
}

/** The scopes that would cover `canonicalPath`: what an `insufficient_scope` answer names (RFC 6750 §3.1). */
export function scopesCovering(canonicalPath: string): string[] {
  return Object.keys(SCOPE_ACL_PATHS).filter((scope) => scopeResolver([scope]).decide(canonicalPath).allowed);
}

/**
 * RFC 6750 §3.1: a token whose scopes do not cover the path is `403 insufficient_scope`, with a
 * Bearer challenge naming the scope that would (an ACL refusal of the granting user stays
 * `acl_denied`: a wider token would not help there).
 */
export function insufficientScopeError(canonicalPath: string, realm: string): DomainError {
  const needed = scopesCovering(canonicalPath);
  const scope = needed.length ? `, scope="${needed.join(' ')}"` : '';
  const hint = needed.length ? `; it needs the scope ${needed.join(' or ')}` : '';
  return new DomainError('insufficient_scope', `the token's scopes do not cover ${canonicalPath}${hint}`, {
    'WWW-Authenticate': `Bearer realm="${realm}", error="insufficient_scope"${scope}`,
  });
}
