import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { generateAppPassword } from '../accounts/core/app-connection.js';
import { SUBLOGIN_NAME_PATTERN, Sublogin, subloginLogin } from '../accounts/sublogin.entity.js';
import { AclRule } from '../acl/acl-rule.entity.js';
import { AclService } from '../acl/acl.service.js';
import type { AclEffect, AclRule as Rule } from '../acl/core/acl-resolver.js';
import { MAX_RULES_PER_SUBLOGIN, normalizeRuleSet } from '../acl/rule-set.js';
import { type AuditOrigin, AuditService } from '../audit/audit.service.js';
import { hasFullRights, type Principal, principalLogin } from '../auth/principal.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { KeyRing } from '../crypto/secrets.js';
import { type CredentialLimits, limitsExcess } from '../common/credential-limits.js';
import { limitsAfter, type LimitsInput, parseLimitsInput } from '../common/credential-limits-input.js';
import { DomainError } from '../errors/domain-error.js';
import { CredentialEvents } from '../shared-state/credential-events.js';

/**
 * Who makes a change: the principal (a full login, or a sublogin or token its ACL and scopes let
 * manage sublogins; those are limited: see SubloginsService).
 */
export interface Actor {
  principal: Principal;
  /** For the audit record's address and user agent (the CLI has none). */
  origin?: AuditOrigin;
}

export interface RuleInput {
  path: string;
  effect: AclEffect;
}

export interface NewSublogin extends LimitsInput {
  name: string;
  /** Omitted: a random one is generated and returned once. */
  password?: string;
  rules?: readonly RuleInput[];
}

export interface SubloginChange extends LimitsInput {
  enabled?: boolean;
  password?: string;
  /** Replace the password with a generated one, returned once. Not together with `password`. */
  generatePassword?: boolean;
}

export interface SubloginWithRuleCount {
  sublogin: Sublogin;
  ruleCount: number;
}

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
/** Rows per INSERT: well under SQLite's and PostgreSQL's bound-parameter limits (5 columns a row). */
const INSERT_CHUNK = 500;

/**
 * Sublogins of a customer and their ACL rules (contract §3, §6, §7). Every change is audited and
 * announced on CredentialEvents, so verification caches and ACL caches on every instance drop
 * the sublogin at once. Passwords are stored as argon2id plus a secret-box copy (OTP needs the
 * plain password); neither leaves this service.
 *
 * No escalation through sublogin management (contract §7.4): a full login (no sublogin, no
 * scopes) manages every sublogin of its account. A limited actor — a sublogin whose rules allow
 * `/sublogin/...`, or an OAuth token (scopes ∩ the granting user's rules) — grants only rights it
 * holds (`403 sublogin_escalation`), reads, changes or deletes only sublogins whose rules are within
 * its rights (the same code), and never changes itself (`403 sublogin_self`). A refusal changes
 * nothing and is audited as `sublogin.refused`.
 */
@Injectable()
export class SubloginsService {
  constructor(
    @InjectRepository(Sublogin) private readonly sublogins: Repository<Sublogin>,
    @InjectRepository(AclRule) private readonly rules: Repository<AclRule>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly keys: KeyRing,
    private readonly credentialEvents: CredentialEvents,
    private readonly audit: AuditService,
    private readonly acl: AclService,
  ) {}

  /** Creates a sublogin of the actor's customer with its rules; `login_taken` (409) when the name exists. */
  async create(actor: Actor, input: NewSublogin): Promise<{ sublogin: Sublogin; rules: Rule[]; generatedPassword?: string }> {
    const customer = actor.principal.account;
    if (!SUBLOGIN_NAME_PATTERN.test(input.name)) throw new DomainError('validation_failed', 'name must match ^[a-z0-9][a-z0-9_.]{0,31}$');
    const rules = normalizeRuleSet(input.rules ?? []);
    const limits = parseLimitsInput(input);
    const subject = { name: input.name, login: subloginLogin(customer.login, input.name) };
    await this.requireGrantable(actor, rules, subject, 'create');
    this.requireLimitsWithin(actor, limitsAfter(NO_LIMITS, limits), subject, 'create');
    const generatedPassword = input.password === undefined ? generateAppPassword() : undefined;
    const password = input.password ?? generatedPassword!;
    checkPassword(password);
    const now = new Date();
    const sublogin = this.sublogins.create({
      id: randomUUID(),
      accountId: customer.id,
      name: input.name,
      login: subloginLogin(customer.login, input.name),
      passwordHash: await this.hasher.hash(password),
      passwordBox: this.keys.secretBox.seal(password),
      enabled: true,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      lastUsedIp: null,
      expiresAt: limits.expiresAt ?? null,
      allowedRanges: limits.allowedRanges ?? null,
    });
    try {
      await this.dataSource.transaction(async (m) => {
        await m.insert(Sublogin, sublogin);
        await insertRules(m, sublogin.id, rules);
      });
    } catch (err) {
      if (await this.sublogins.existsBy({ login: sublogin.login })) throw new DomainError('login_taken', `a sublogin named ${input.name} exists`);
      throw err;
    }
    await this.changed(sublogin);
    this.record(actor, 'sublogin.create', sublogin, { name: sublogin.name, ruleCount: rules.length, passwordGenerated: generatedPassword !== undefined, ...limitsDetail(sublogin) });
    return { sublogin, rules, generatedPassword };
  }

  /** Enables or disables a sublogin, or sets or regenerates its password. */
  async update(actor: Actor, name: string, change: SubloginChange): Promise<{ sublogin: Sublogin; generatedPassword?: string }> {
    if (change.password !== undefined && change.generatePassword) throw new DomainError('validation_failed', 'send either password or generatePassword, not both');
    const limits = parseLimitsInput(change);
    const sublogin = await this.target(actor, name, 'update');
    const changed: string[] = [];
    let generatedPassword: string | undefined;
    const patch: Partial<Sublogin> = {};
    if (change.enabled !== undefined && change.enabled !== sublogin.enabled) {
      patch.enabled = change.enabled;
      changed.push('enabled');
    }
    if (change.password !== undefined || change.generatePassword) {
      generatedPassword = change.generatePassword ? generateAppPassword() : undefined;
      const password = change.password ?? generatedPassword!;
      checkPassword(password);
      patch.passwordHash = await this.hasher.hash(password);
      patch.passwordBox = this.keys.secretBox.seal(password);
      changed.push('password');
    }
    if (limits.expiresAt !== undefined && limits.expiresAt?.getTime() !== sublogin.expiresAt?.getTime()) {
      patch.expiresAt = limits.expiresAt;
      changed.push('expiresAt');
    }
    if (limits.allowedRanges !== undefined && (limits.allowedRanges ?? []).join(',') !== (sublogin.allowedRanges ?? []).join(',')) {
      patch.allowedRanges = limits.allowedRanges;
      changed.push('allowedRanges');
    }
    if (changed.length === 0) return { sublogin };
    if (patch.expiresAt !== undefined || patch.allowedRanges !== undefined) this.requireLimitsWithin(actor, limitsAfter(sublogin, limits), sublogin, 'update');
    patch.updatedAt = new Date();
    const result = await this.sublogins.update({ id: sublogin.id }, patch);
    if (result.affected === 0) throw new DomainError('not_found', `no sublogin named ${name}`);
    Object.assign(sublogin, patch);
    await this.changed(sublogin);
    this.record(actor, 'sublogin.update', sublogin, { name, changed, enabled: sublogin.enabled, passwordGenerated: generatedPassword !== undefined, ...limitsDetail(sublogin) });
    return { sublogin, generatedPassword };
  }

  /** Deletes a sublogin and (by cascade) its rules; it stops authenticating at once. */
  async delete(actor: Actor, name: string): Promise<Sublogin> {
    const sublogin = await this.target(actor, name, 'delete');
    const result = await this.sublogins.delete({ id: sublogin.id });
    if (result.affected === 0) throw new DomainError('not_found', `no sublogin named ${name}`);
    await this.changed(sublogin);
    this.record(actor, 'sublogin.delete', sublogin, { name });
    return sublogin;
  }

  /** A customer's sublogins by name, each with its number of rules. */
  async list(customerId: string, offset: number, limit: number): Promise<{ items: SubloginWithRuleCount[]; total: number }> {
    const [sublogins, total] = await this.sublogins.findAndCount({ where: { accountId: customerId }, order: { name: 'ASC' }, skip: offset, take: limit });
    const ids = sublogins.map((s) => s.id);
    const counts = new Map<string, number>();
    if (ids.length) {
      const rows = await this.rules
        .createQueryBuilder('r')
        .select('r.sublogin_id', 'id')
        .addSelect('COUNT(*)', 'n')
        .where('r.sublogin_id IN (:...ids)', { ids })
        .groupBy('r.sublogin_id')
        .getRawMany<{ id: string; n: string | number }>();
      for (const row of rows) counts.set(row.id, Number(row.n)); // PostgreSQL's COUNT is a BIGINT string
    }
    return { items: sublogins.map((sublogin) => ({ sublogin, ruleCount: counts.get(sublogin.id) ?? 0 })), total };
  }

  /** The customer's sublogin `name`; `not_found` for an unknown name or another customer's sublogin. */
  async get(customerId: string, name: string): Promise<Sublogin> {
    const sublogin = SUBLOGIN_NAME_PATTERN.test(name) ? await this.sublogins.findOneBy({ accountId: customerId, name }) : null;
    if (!sublogin) throw new DomainError('not_found', `no sublogin named ${name}`);
    return sublogin;
  }

  /** The sublogin's rules, canonical, in the order they were written (if the actor may read them: see `target`). */
  async getRules(actor: Actor, name: string): Promise<Rule[]> {
    const sublogin = await this.target(actor, name, 'rules');
    return this.rulesOf(sublogin.id);
  }

  /**
   * The actor's sublogin `name` (`404 not_found` when the account has none) if the actor may
   * act on it this way. A full login may do anything. A limited actor (see the class comment):
   * not on itself unless only reading (`403 sublogin_self`), and only on a sublogin whose every
   * right it holds (`403 sublogin_escalation` naming a path the target may use and the actor may
   * not). The check comes before any change. A concurrent widening of the target by its customer
   * cannot be exploited through the gap: its outcome is that of the actor acting just before it.
   */
  async target(actor: Actor, name: string, action: SubloginAction): Promise<Sublogin> {
    const sublogin = await this.get(actor.principal.account.id, name);
    const { principal } = actor;
    // A limited actor changes only sublogins usable no later and from nowhere else than itself:
    // else a password it sets would be a way past its own expiry or ranges.
    if (action !== 'rules' && action !== 'check') this.requireLimitsWithin(actor, limitsAfter(sublogin, {}), sublogin, action);
    if (isFullLogin(principal)) return sublogin;
    const selfRefused = principal.sublogin?.id === sublogin.id ? SELF_REFUSED[action] : undefined;
    if (selfRefused !== undefined) {
      throw this.refused(actor, sublogin, action, 'sublogin_self', `${principalLogin(principal)} cannot ${selfRefused} through sublogin management; only its customer can`);
    }
    const coverage = await this.acl.coversRules(principal, await this.rulesOf(sublogin.id));
    if (!coverage.ok) {
      throw this.refused(
        actor,
        sublogin,
        action,
        'sublogin_escalation',
        `sublogin ${name} is allowed ${coverage.path}, which ${holderText(principal)} is not: only sublogins whose rights are within your own can be managed this way`,
        coverage.path,
      );
    }
    return sublogin;
  }

  /**
   * Replaces the whole rule set (at most MAX_RULES_PER_SUBLOGIN rules; every path checked by
   * canonicalizeRulePath). Throws `acl_rule_invalid` (400) naming the bad rules; nothing changes then.
   */
  async replaceRules(actor: Actor, name: string, input: readonly RuleInput[]): Promise<Rule[]> {
    const rules = normalizeRuleSet(input);
    const sublogin = await this.target(actor, name, 'replace-rules');
    await this.requireGrantable(actor, rules, sublogin);
    const now = new Date();
    await this.dataSource.transaction(async (m) => {
      // Updating the sublogin's row first locks it (PostgreSQL), so two concurrent replacements
      // run one after the other instead of interleaving their deletes and inserts.
      const touched = await m.update(Sublogin, { id: sublogin.id }, { updatedAt: now });
      if (touched.affected === 0) throw new DomainError('not_found', `no sublogin named ${name}`);
      await m.delete(AclRule, { subloginId: sublogin.id });
      await insertRules(m, sublogin.id, rules);
    });
    sublogin.updatedAt = now;
    await this.changed(sublogin);
    const allow = rules.filter((r) => r.effect === 'allow').length;
    this.record(actor, 'sublogin.rules', sublogin, { name, ruleCount: rules.length, allow, deny: rules.length - allow });
    return rules;
  }

  /** `403 sublogin_escalation` unless the actor holds every right `rules` grant (a full login holds all). */
  private async requireGrantable(actor: Actor, rules: readonly Rule[], subject: { name: string; login: string }, action: SubloginAction = 'replace-rules'): Promise<void> {
    if (isFullLogin(actor.principal)) return;
    const coverage = await this.acl.coversRules(actor.principal, rules);
    if (coverage.ok) return;
    throw this.refused(
      actor,
      subject,
      action,
      'sublogin_escalation',
      `the rules would allow ${coverage.path}, which ${holderText(actor.principal)} is not: only rights you hold can be granted`,
      coverage.path,
    );
  }

  /**
   * `403 sublogin_escalation` when the actor's own credentials are limited (expiry, address ranges:
   * a sublogin, a token it granted, a limited app password) and `limits` reach past them: a later
   * or no expiry, or a range not inside one of its own (contract §7.4).
   */
  private requireLimitsWithin(actor: Actor, limits: CredentialLimits, subject: { name: string; login: string }, action: SubloginAction): void {
    const own = actor.principal.limits;
    if (!own?.length) return;
    const excess = limitsExcess(limits, own);
    if (!excess) return;
    const who = holderText(actor.principal);
    if (excess.kind === 'expiry') {
      throw this.refused(actor, subject, action, 'sublogin_escalation', `sublogin ${subject.name} would be usable after ${who} expires: give it an expiry no later than your own`, undefined, { limit: 'expiresAt' });
    }
    const where = excess.range ?? 'any address';
    throw this.refused(actor, subject, action, 'sublogin_escalation', `sublogin ${subject.name} would be usable from ${where}, outside the ranges ${who} may be used from: give it ranges within your own`, undefined, {
      limit: 'allowedRanges',
      ...(excess.range ? { range: excess.range } : {}),
    });
  }

  /** The refusal to throw, audited (outcome `failure`): who tried what on which sublogin, and the path (or the limit). */
  private refused(
    actor: Actor,
    subject: { name: string; login: string },
    action: SubloginAction,
    code: 'sublogin_escalation' | 'sublogin_self',
    message: string,
    path?: string,
    limit?: { limit: 'expiresAt' | 'allowedRanges'; range?: string },
  ): DomainError {
    this.audit.record({
      type: 'sublogin.refused',
      outcome: 'failure',
      code,
      login: subject.login,
      accountId: actor.principal.account.id,
      actor: principalLogin(actor.principal),
      detail: { name: subject.name, action, ...(path === undefined ? {} : { path }), ...limit },
      origin: actor.origin,
    });
    return new DomainError(code, message, {}, path !== undefined ? { path } : limit);
  }

  private async rulesOf(subloginId: string): Promise<Rule[]> {
    const rows = await this.rules.find({ where: { subloginId }, order: { position: 'ASC' }, select: { path: true, effect: true } });
    return rows.map((r) => ({ path: r.path, effect: r.effect }));
  }

  /** Drops this instance's cached decisions at once, and every instance's caches through the broadcast. */
  private async changed(sublogin: Sublogin): Promise<void> {
    this.acl.forget(sublogin.login);
    await this.credentialEvents.changed(sublogin.login);
  }

  private record(actor: Actor, type: string, sublogin: Sublogin, detail: Record<string, unknown>): void {
    this.audit.record({
      type,
      outcome: 'info',
      login: sublogin.login,
      accountId: sublogin.accountId,
      actor: principalLogin(actor.principal),
      detail,
      origin: actor.origin,
    });
  }
}

/** What a sublogin-management request does to its target (the ACL action of its route). */
export type SubloginAction = 'create' | 'update' | 'delete' | 'rules' | 'replace-rules' | 'check';

/** What a sublogin may not do to itself: everything but reading its own rules (`rules`, `check`). */
const SELF_REFUSED: Partial<Record<SubloginAction, string>> = {
  update: 'change its own enabled state or password',
  delete: 'delete itself',
  'replace-rules': 'replace its own rules',
};

const NO_LIMITS = { expiresAt: null, allowedRanges: null };

/** A sublogin's limits for its audit records. */
function limitsDetail(s: Sublogin): Record<string, unknown> {
  return { expiresAt: s.expiresAt?.toISOString() ?? null, allowedRanges: s.allowedRanges };
}

/** A full login acts with every right of its account (contract §6); a sublogin, a token or an app password with rules is limited. */
function isFullLogin(p: Principal): boolean {
  return hasFullRights(p);
}

/** Whose rights a refusal speaks of: a token's are its scopes ∩ its user's. */
function holderText(p: Principal): string {
  return p.scopes === null ? principalLogin(p) : `this token of ${principalLogin(p)}`;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new DomainError('validation_failed', `password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
  }
}

async function insertRules(m: EntityManager, subloginId: string, rules: readonly Rule[]): Promise<void> {
  if (rules.length > MAX_RULES_PER_SUBLOGIN) throw new DomainError('acl_rule_invalid', `a sublogin holds at most ${MAX_RULES_PER_SUBLOGIN} rules`);
  for (let start = 0; start < rules.length; start += INSERT_CHUNK) {
    const rows = rules.slice(start, start + INSERT_CHUNK).map((r, i) => ({ id: randomUUID(), subloginId, position: start + i, path: r.path, effect: r.effect }));
    await m.insert(AclRule, rows);
  }
}
