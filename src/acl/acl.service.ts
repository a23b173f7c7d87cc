import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { hasFullRights, type Principal, principalLogin } from '../auth/principal.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { AclRuleStore } from './acl-rule.store.js';
import { AclPathError, canonicalizeRequestPath } from './core/acl-path.js';
import { type AclDecision, AclResolver, type AclRule } from './core/acl-resolver.js';
import { ALL_RIGHTS, bothRights, type Coverage, type Rights, ruleRights, rulesWithin } from './core/rule-subset.js';
import { type AclPathOfMember, RuleMemberAccess } from './member-access.js';
import { insufficientScopeError, SCOPE_ACL_PATHS, scopeResolver } from './scope-rules.js';
import { EVERY_MEMBER, type MemberAccess } from '../storage/storage.types.js';

/**
 * Why a decision came out as it did:
 * - `account`: a full login, on its own resources: allowed everything (contract §6);
 * - `rule`: the sublogin's rule in `rule` decided;
 * - `no_rule`: a sublogin with no rule covering the path: denied by default;
 * - `scope`: the OAuth token's scopes do not cover the path (contract §4.4), whatever the ACL says;
 * - `app_password`: the rules of the app password the account authenticated with do not allow
 *   the path (contract §4.2), answered `outside_scope`.
 */
export type DecisionBasis = 'account' | 'rule' | 'no_rule' | 'scope' | 'app_password';

export interface AccessDecision extends AclDecision {
  basis: DecisionBasis;
}

interface CacheEntry {
  subloginId: string;
  resolver: AclResolver;
}

interface Loading {
  subloginId: string;
  promise: Promise<AclResolver>;
}

/**
 * Decides whether a principal may act on a canonical ACL path. Sublogins are decided by an
 * AclResolver built from their rules, cached in memory per sublogin (keyed by its login) and
 * dropped when CredentialEvents announces that login or its customer's login, on any instance.
 */
@Injectable()
export class AclService {
  /** Cached resolvers cost at most this many rules in total; least recently used go first. */
  static readonly CACHE_BUDGET = 100_000;
  /** A safety net under the broadcast: an entry is rebuilt after this long even if no event came. */
  static readonly CACHE_TTL_MS = 60_000;

  private readonly logger = new Logger(AclService.name);
  /** Each entry weighs its rule count + 1 against CACHE_BUDGET. */
  private readonly cache = new LRUCache<string, CacheEntry>({
    maxSize: AclService.CACHE_BUDGET,
    ttl: AclService.CACHE_TTL_MS,
    ttlAutopurge: false,
    updateAgeOnGet: false,
    // Wall-clock time read on each look-up, as the hand-written cache did (a few ns; tests move Date).
    ttlResolution: 0,
    perf: { now: () => Date.now() },
  });
  private readonly loading = new Map<string, Loading>();
  /**
   * Bumped by every invalidation. A load that started before an invalidation may have read the
   * old rules, so its result is not cached (it is still used by the request that asked for it,
   * which was concurrent with the change).
   */
  private epoch = 0;

  constructor(
    private readonly store: AclRuleStore,
    private readonly events: CredentialEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    events.onChange((login) => this.forget(login));
    // Fails closed like the TaggedCaches: nothing is served from the cache while broadcasts may go
    // unheard, and everything is dropped when they flow again (changes made meanwhile are unknown).
    events.onBroadcastRestored(() => this.forgetAll());
  }

  /** Drops every cached resolver (broadcasts were interrupted); loads under way are not stored. */
  forgetAll(): void {
    this.epoch++;
    this.cache.clear();
    this.loading.clear();
  }

  /**
   * Throws unless `principal` may act on `canonicalPath`: `403 acl_denied` naming the path when the
   * user's rules refuse it, `403 insufficient_scope` (RFC 6750) when only the token's scopes do.
   * Answers without a promise when nothing needs loading (a full login, a sublogin whose rules are
   * cached): the AclGuard then decides at once, as it does on nearly every request.
   */
  require(principal: Principal, canonicalPath: string): void | Promise<void> {
    const decision = this.decideNow(principal, canonicalPath);
    if (decision instanceof Promise) return decision.then((d) => this.enforce(principal, canonicalPath, d));
    this.enforce(principal, canonicalPath, decision);
  }

  /**
   * The decision for `principal` on `canonicalPath` (from `canonicalizeRequestPath`).
   *
   * It takes the whole principal, not a sublogin id, because more than the sublogin decides:
   * an OAuth token's scopes are intersected here with the granting user's rights (contract §4.4),
   * so a token never exceeds the user, and a sublogin's token never exceeds the sublogin.
   */
  async decide(principal: Principal, canonicalPath: string): Promise<AccessDecision> {
    return this.decideNow(principal, canonicalPath);
  }

  /**
   * How `principal` may act on the members of a tree, for the operations that act on whole
   * trees (copy, move, delete, listings, locks): `aclPathOf` turns a member's storage path into
   * the canonical ACL path its own request would be decided on. A full login gets every member;
   * otherwise the rules are resolved once, so each member is then decided without a promise.
   */
  memberAccess(principal: Principal, aclPathOf: AclPathOfMember): MemberAccess | Promise<MemberAccess> {
    const appRules = appPasswordResolver(principal);
    if (hasFullRights(principal)) return EVERY_MEMBER;
    const scopes = principal.scopes === null ? null : scopeResolver(principal.scopes);
    const refusal = (aclPath: string, basis: 'rule' | 'scope', rule: AclRule | null): DomainError => {
      if (basis === 'scope') return insufficientScopeError(aclPath, this.config.basicRealm);
      // App passwords belong to accounts, never to sublogins: the rules here are the password's.
      if (appRules !== null) return outsideScopeError(principal, aclPath);
      const by = rule ? `the rule "${rule.effect} ${rule.path}"` : 'no rule';
      return new DomainError('acl_denied', `access to ${aclPath} is denied: ${by} of ${principalLogin(principal)}${rule?.effect === 'deny' ? ' denies it' : ' allows it'}`, {}, { path: aclPath, rule });
    };
    if (principal.sublogin === null) return new RuleMemberAccess(appRules, scopes, aclPathOf, refusal);
    const rules = this.resolverFor(principal.sublogin);
    if (rules instanceof Promise) return rules.then((r) => new RuleMemberAccess(r, scopes, aclPathOf, refusal));
    return new RuleMemberAccess(rules, scopes, aclPathOf, refusal);
  }

  private enforce(principal: Principal, canonicalPath: string, decision: AccessDecision): void {
    if (decision.allowed) return;
    if (decision.basis === 'scope') throw insufficientScopeError(canonicalPath, this.config.basicRealm);
    if (decision.basis === 'app_password') throw outsideScopeError(principal, canonicalPath);
    throw new DomainError('acl_denied', `access to ${canonicalPath} is denied: no rule of ${principalLogin(principal)} allows it`);
  }

  private decideNow(principal: Principal, canonicalPath: string): AccessDecision | Promise<AccessDecision> {
    if (principal.sublogin === null) return withScopes(principal, canonicalPath, withAppPassword(principal, canonicalPath));
    const resolver = this.resolverFor(principal.sublogin);
    if (resolver instanceof Promise) return resolver.then((r) => withScopes(principal, canonicalPath, ruleDecision(r, canonicalPath)));
    return withScopes(principal, canonicalPath, ruleDecision(resolver, canonicalPath));
  }

  /**
   * `GET /api/sublogin/check`: what the customer's sublogin `subloginName` would be answered on
   * `rawPath`, canonicalised as a request path is, and the rule that decided.
   * Throws `path_invalid` for a path a request could not use, `not_found` for an unknown sublogin.
   */
  async explain(customerId: string, subloginName: string, rawPath: string): Promise<AclDecision> {
    const path = toCanonicalRequestPath(rawPath);
    const sublogin = await this.store.findSublogin(customerId, subloginName);
    if (!sublogin) throw new DomainError('not_found', `no sublogin named ${subloginName}`);
    return (await this.resolverFor(sublogin)).decide(path);
  }

  /**
   * Drops what is cached for `login`: a sublogin's login drops that sublogin, a customer's login
   * all of its sublogins. Called for every CredentialEvents announcement; the sublogin service
   * also calls it directly so the instance that made a change never answers from the old rules.
   */
  forget(login: string): void {
    this.epoch++;
    // A sublogin's login is `customer-name`; account logins contain no `-`, so the prefix
    // `customer-` names exactly that customer's sublogins.
    const prefix = `${login}-`;
    for (const key of [...this.cache.keys()]) if (key === login || key.startsWith(prefix)) this.cache.delete(key);
    for (const key of this.loading.keys()) if (key === login || key.startsWith(prefix)) this.loading.delete(key);
  }

  /** How many sublogins have a cached resolver (for tests and diagnostics). */
  get cachedCount(): number {
    return this.cache.size;
  }

  /** The sublogin's resolver: as is when cached and fresh, else a promise of it (one load at a time). */
  private resolverFor(sublogin: { id: string; login: string }): AclResolver | Promise<AclResolver> {
    const key = sublogin.login;
    const live = this.events.broadcastLive();
    const hit = live ? this.cache.get(key) : undefined;
    // The id check: a sublogin deleted and re-created under the same name is another sublogin.
    if (hit && hit.subloginId === sublogin.id) return hit.resolver;
    const pending = this.loading.get(key);
    if (live && pending && pending.subloginId === sublogin.id) return pending.promise;

    const epoch = this.epoch;
    const promise = this.load(sublogin.id).then(
      ({ resolver, weight }) => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
        // Past the budget the least recently used go (a sublogin's 10,000 rules at most fit many times).
        if (epoch === this.epoch && this.events.broadcastLive()) this.cache.set(key, { subloginId: sublogin.id, resolver }, { size: weight });
        return resolver;
      },
      (err: unknown) => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, { subloginId: sublogin.id, promise });
    return promise;
  }

  private async load(subloginId: string): Promise<{ resolver: AclResolver; weight: number }> {
    const rules = await this.store.rulesOf(subloginId);
    try {
      return { resolver: new AclResolver(rules), weight: rules.length + 1 };
    } catch (err) {
      if (!(err instanceof AclPathError)) throw err;
      // Stored rules are canonical when written; one that no longer parses must not be skipped
      // (a skipped deny would open what it closed), so the whole set denies until it is rewritten.
      this.logger.error({ subloginId, reason: err.reason }, 'stored ACL rule is not valid; denying everything for this sublogin');
      return { resolver: new AclResolver([]), weight: 1 };
    }
  }

  /**
   * Whether `principal` holds every right `rules` grant: its rules (a sublogin), intersected with
   * its scopes (a token), checked at every rule path of either (rule-subset.ts). Sublogin
   * management uses it so that a limited principal grants only what it has (contract §7.4).
   * `{ ok: false, path }` names a canonical path the rules allow and the principal may not.
   * `rules` must be valid rule paths (normalised or stored). A full login without scopes holds all.
   */
  async coversRules(principal: Principal, rules: readonly AclRule[]): Promise<Coverage> {
    let rights: Rights = ALL_RIGHTS;
    if (principal.sublogin !== null) {
      // The same cached resolver the AclGuard decides with, and the rules it was built from.
      const resolver = await this.resolverFor(principal.sublogin);
      rights = ruleRights(resolver.rules, resolver);
    }
    const appRules = appPasswordResolver(principal);
    if (appRules !== null) rights = bothRights(rights, ruleRights(appRules.rules, appRules));
    if (principal.scopes !== null) {
      const scopes = scopeResolver(principal.scopes);
      // Every path of the scope table: more than the token's scopes use, which only costs a few checks.
      rights = bothRights(rights, { rulePaths: Object.values(SCOPE_ACL_PATHS).flat(), allows: (path) => scopes.decide(path).allowed });
    }
    return rulesWithin(rules, rights);
  }
}

/** What a sublogin's rules say on `canonicalPath`: the deciding rule, or none (denied by default). */
function ruleDecision(resolver: AclResolver, canonicalPath: string): AccessDecision {
  const decision = resolver.decide(canonicalPath);
  return { ...decision, basis: decision.rule ? 'rule' : 'no_rule' };
}

/**
 * Resolvers of app passwords' rule sets, by the rules array a principal carries: a principal is
 * kept by the verification caches, so its array, and the resolver built from it, live as long.
 */
const appPasswordResolvers = new WeakMap<object, AclResolver>();

/** The resolver of the rules of the app password `principal` authenticated with; null when it has none (full rights). */
function appPasswordResolver(principal: Principal): AclResolver | null {
  const rules = principal.appPassword?.rules;
  if (!rules) return null;
  let resolver = appPasswordResolvers.get(rules);
  if (resolver === undefined) {
    try {
      resolver = new AclResolver(rules);
    } catch (err) {
      if (!(err instanceof AclPathError)) throw err;
      // Stored rules are canonical when written; one that no longer parses denies everything (as for sublogins).
      resolver = new AclResolver([]);
    }
    appPasswordResolvers.set(rules, resolver);
  }
  return resolver;
}

/** A full login's decision: everything, unless the rules of the app password it used do not allow the path. */
function withAppPassword(principal: Principal, canonicalPath: string): AccessDecision {
  const rules = appPasswordResolver(principal);
  if (rules === null) return { allowed: true, rule: null, path: canonicalPath, basis: 'account' };
  const decision = rules.decide(canonicalPath);
  return { ...decision, basis: decision.allowed ? 'rule' : 'app_password' };
}

/** `403 outside_scope`: the app password's rules do not allow the path (the account's would). */
function outsideScopeError(principal: Principal, canonicalPath: string): DomainError {
  return new DomainError('outside_scope', `access to ${canonicalPath} is outside the rules of the app password "${principal.appPassword?.name ?? ''}"`, {}, { path: canonicalPath });
}

/** The user's decision, unless the OAuth token's scopes do not cover the path (contract §4.4). */
function withScopes(principal: Principal, canonicalPath: string, user: AccessDecision): AccessDecision {
  if (!user.allowed || principal.scopes === null) return user;
  if (scopeResolver(principal.scopes).decide(canonicalPath).allowed) return user;
  return { allowed: false, rule: null, path: canonicalPath, basis: 'scope' };
}

/**
 * Canonical forms of recent request paths: the ACL guard canonicalises a path on every request,
 * and clients ask for the same few paths again and again. A pure function's results, so a hit is
 * always right; refusals are not kept (they throw each time). Only paths of up to 256 characters,
 * the 10,000 most recently used: ~10 MiB at worst, whatever the requests.
 */
const CANONICAL_PATH_KEPT_LENGTH = 256;
const canonicalPaths = new LRUCache<string, string>({ max: 10_000 });

/** A request path in canonical form, or `400 path_invalid` naming why it is refused. */
export function toCanonicalRequestPath(raw: string): string {
  const known = canonicalPaths.get(raw);
  if (known !== undefined) return known;
  try {
    const canonical = canonicalizeRequestPath(raw);
    if (raw.length <= CANONICAL_PATH_KEPT_LENGTH) canonicalPaths.set(raw, canonical);
    return canonical;
  } catch (err) {
    if (err instanceof AclPathError) throw new DomainError('path_invalid', err.message, {}, { reason: err.reason });
    throw err;
  }
}
