import { DomainError } from '../errors/domain-error.js';
import type { MemberAccess } from '../storage/storage.types.js';
import type { AclDecision, AclResolver, AclRule } from './core/acl-resolver.js';

/** A member's storage path as the canonical ACL path its own request would be decided on. */
export type AclPathOfMember = (path: string) => string;

/**
 * MemberAccess for a sublogin or a scoped token: the user's rules (null for a full login) and
 * the token's scopes (null without a token), both as resolved when the operation started, so
 * every member of one operation is decided against the same rules and without a promise.
 */
export class RuleMemberAccess implements MemberAccess {
  constructor(
    private readonly rules: AclResolver | null,
    private readonly scopes: AclResolver | null,
    private readonly aclPathOf: AclPathOfMember,
    /** The refusal for one path: `acl_denied` or `insufficient_scope`, as the AclGuard answers. */
    private readonly refusal: (aclPath: string, basis: 'rule' | 'scope', rule: AclRule | null) => DomainError,
  ) {}

  require(path: string): void {
    this.enforce(this.aclPathOf(path));
  }

  requireTree(path: string): void {
    const aclPath = this.aclPathOf(path);
    this.enforce(aclPath);
    // Allowed here: a deny rule beneath could refuse a member. Refused before acting, naming it.
    const rule = this.rules?.beneath(aclPath).deny ?? null;
    if (rule) throw this.refusal(rule.path, 'rule', rule);
    const scope = this.scopes?.beneath(aclPath).deny ?? null;
    if (scope) throw this.refusal(scope.path, 'scope', null);
  }

  allows(path: string): boolean {
    let aclPath: string;
    try {
      aclPath = this.aclPathOf(path);
    } catch (err) {
      if (err instanceof DomainError) return false; // a path the ACL cannot express is denied
      throw err;
    }
    return this.user(aclPath).allowed && this.scope(aclPath);
  }

  uniformBeneath(path: string): boolean {
    let aclPath: string;
    try {
      aclPath = this.aclPathOf(path);
    } catch (err) {
      if (err instanceof DomainError) return false;
      throw err;
    }
    // Conservative: any rule of the other effect beneath, in either set, may change a member.
    const effect = this.user(aclPath).allowed && this.scope(aclPath) ? 'deny' : 'allow';
    return (this.rules?.beneath(aclPath)[effect] ?? null) === null && (this.scopes?.beneath(aclPath)[effect] ?? null) === null;
  }

  private enforce(aclPath: string): void {
    const user = this.user(aclPath);
    if (!user.allowed) throw this.refusal(aclPath, 'rule', user.rule);
    if (!this.scope(aclPath)) throw this.refusal(aclPath, 'scope', null);
  }

  private user(aclPath: string): AclDecision {
    return this.rules ? this.rules.decide(aclPath) : { allowed: true, rule: null, path: aclPath };
  }

  private scope(aclPath: string): boolean {
    return this.scopes === null || this.scopes.decide(aclPath).allowed;
  }
}
