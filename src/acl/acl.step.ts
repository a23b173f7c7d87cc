import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import type { AclSpec } from './acl.decorators.js';
import { AclService, toCanonicalRequestPath } from './acl.service.js';

/**
 * The canonical ACL paths a request acts on: `/cls/action` followed by each specific part the
 * handler's `@Acl` derives from the request (all must be allowed: both ends of a move).
 * Throws `400 path_invalid` for a path that cannot be canonicalised.
 */
export function aclPathsOf(spec: AclSpec, req: FastifyRequest): string[] {
  const base = `/${spec.cls}/${spec.action}`;
  const specific = spec.specific?.(req);
  // No specific part (or an empty list) is decided as the action itself, never skipped.
  const parts = specific === undefined ? [''] : typeof specific === 'string' ? [specific] : specific.length ? specific : [''];
  return parts.map((part) => toCanonicalRequestPath(base + (part === '' || part.startsWith('/') ? part : `/${part}`)));
}

/**
 * The access pipeline's ACL step (contract §6), last: it decides by the handler's own `@Acl` —
 * never a class default, so the general never beats the specific. Full logins act on their own
 * resources and pass; sublogins (and scoped tokens) pass only where AclService allows every path
 * the request acts on. A public route has nobody to limit.
 */
@Injectable()
export class AclStep {
  constructor(private readonly acl: AclService) {}

  check(req: FastifyRequest, spec: AclSpec | null, principal: Principal | undefined): void | Promise<void> {
    if (!spec || !principal) return;
    // Canonicalised for everyone, so a path is refused the same way whoever asks.
    return requireEach(aclPathsOf(spec, req), (path) => this.acl.require(principal, path));
  }
}

/**
 * Runs `check` on each path in order, the first refusal thrown. Synchronous for as long as the
 * checks are, so a request whose rules are cached is decided without a promise.
 */
function requireEach(paths: readonly string[], check: (path: string) => void | Promise<void>): void | Promise<void> {
  for (let i = 0; i < paths.length; i++) {
    const pending = check(paths[i]!);
    if (pending) return pending.then(() => requireEach(paths.slice(i + 1), check));
  }
}
