import { Injectable } from '@nestjs/common';
import { AclService, toCanonicalRequestPath } from '../acl/acl.service.js';
import { hasFullRights, type Principal } from '../auth/principal.js';
import type { MemberAccess } from '../storage/storage.types.js';
import type { DavMount } from './dav-mount.js';

export type DavAction = 'read' | 'write' | 'delete';

/**
 * The ACL for WebDAV (contract §6): `/<dav|backup>/<read|write|delete>/<path>`.
 *
 * Decided here, per request, rather than by the global AclGuard: one request may need two
 * decisions (COPY: read the source and write the destination; MOVE: delete the source and write
 * the destination), and operations on collections decide every member (`members`). The DAV
 * controllers are therefore not `@AclResource`-classed; DavPreparer calls this for every method
 * before it reads a body or touches anything.
 *
 * `path` is the decoded, canonical path inside the mount (what the storage uses). Each segment
 * is escaped only where the ACL canonicaliser would read it differently (`%`, `;`), so it
 * decodes back to exactly that path: the rule matched is the rule for the resource touched.
 */
@Injectable()
export class DavAccess {
  constructor(private readonly acl: AclService) {}

  /** Full logins act on their own resources without rules; only sublogins, tokens and app passwords with rules are decided. */
  private isLimited(principal: Principal): boolean {
    return !hasFullRights(principal);
  }

  /**
   * How the principal may do `action` on the members of a tree (COPY, MOVE, DELETE, LOCK Depth
   * infinity, PROPFIND and folder listings): each member decided as its own request would be.
   */
  members(principal: Principal, mount: DavMount, action: DavAction): MemberAccess | Promise<MemberAccess> {
    return this.acl.memberAccess(principal, (path) => aclPathOf(mount, action, path));
  }

  /** `403 acl_denied` (or `insufficient_scope` for a token) naming the canonical path, as the AclGuard answers. */
  async require(principal: Principal, mount: DavMount, action: DavAction, path: string): Promise<void> {
    if (!this.isLimited(principal)) return;
    await this.acl.require(principal, aclPathOf(mount, action, path));
  }
}

export function aclPathOf(mount: DavMount, action: DavAction, path: string): string {
  const escaped = path === '/' ? '' : path.replace(/[%;]/g, (c) => encodeURIComponent(c));
  return toCanonicalRequestPath(`/${mount.aclClass}/${action}${escaped}`);
}
