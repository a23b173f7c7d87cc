import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTH_POLICY, type AuthPolicy } from '../auth/auth.decorators.js';
import { ACL_SPEC, type AclSpec } from './acl.decorators.js';
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
 * The global ACL guard (contract §6). It runs after the AuthGuard (see AclModule) and reads only the
 * handler's `@Acl` — never a class default, so the general never beats the specific. Full logins
 * act on their own resources and pass; sublogins (and scoped tokens) pass only where AclService
 * allows every path the request acts on.
 */
@Injectable()
export class AclGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly acl: AclService,
  ) {}

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const spec = this.reflector.get<AclSpec | undefined>(ACL_SPEC, ctx.getHandler());
    if (!spec) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const principal = req.principal;
    if (!principal) {
      const policy = this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [ctx.getHandler(), ctx.getClass()]);
      if (policy && policy.methods.length === 0) return true; // a public route: nobody to limit
      // An authenticated route without a principal means this guard ran before the AuthGuard:
      // refuse (a 500, logged) rather than let the request through unchecked.
      throw new Error('AclGuard ran before AuthGuard: global guard order is wrong (see AclModule)');
    }
    // Canonicalised for everyone, so a path is refused the same way whoever asks.
    return requireEach(aclPathsOf(spec, req), (path) => this.acl.require(principal, path));
  }
}

/**
 * Runs `check` on each path in order, the first refusal thrown. Synchronous for as long as the
 * checks are, so a request whose rules are cached is decided without a promise.
 */
function requireEach(paths: readonly string[], check: (path: string) => void | Promise<void>): true | Promise<true> {
  for (let i = 0; i < paths.length; i++) {
    const pending = check(paths[i]!);
    if (pending) return pending.then(() => requireEach(paths.slice(i + 1), check));
  }
  return true;
}
