import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, type Repository } from 'typeorm';
import { AccountsService } from '../accounts/accounts.service.js';
import { type AuditOrigin, AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { KeyRing } from '../crypto/secrets.js';
import { limitsAfter, type LimitsInput, parseLimitsInput } from '../common/credential-limits-input.js';
import { DomainError } from '../errors/domain-error.js';
import { ApiKeyCache } from './api-key-cache.js';
import { ApiKey } from './api-key.entity.js';
import { Application } from './application.entity.js';
import { API_KEY_HMAC_PURPOSE, generateApiKey, lastFour } from './core/api-key-format.js';
import { allowedFrom, type ApplicationStatus, keysUsable, type ReviewAction, reviewTransition } from './core/application-lifecycle.js';

export interface NewApplication {
  name: string;
  description?: string;
  homepage?: string | null;
  redirectUris?: readonly string[];
}

/** A key in the clear, as returned exactly once to the developer. */
export interface IssuedKey {
  key: string;
  record: ApiKey;
}

/** At most this many applications per developer account: registration is self-service. */
export const MAX_APPLICATIONS_PER_ACCOUNT = 50;

/**
 * Applications and their API keys (contract §4.3): registration by a developer, review by an
 * operator, key issue and rotation. Keys are stored as a keyed hash and shown once. Every
 * change is audited (never with the key) and announced to the key caches on every instance.
 */
@Injectable()
export class ApplicationsService {
  constructor(
    @InjectRepository(Application) private readonly applications: Repository<Application>,
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keyRing: KeyRing,
    private readonly cache: ApiKeyCache,
    private readonly audit: AuditService,
    private readonly accounts: AccountsService,
  ) {}

  async register(developer: Principal, input: NewApplication, origin: AuditOrigin): Promise<Application> {
    if ((await this.applications.countBy({ ownerAccountId: developer.account.id })) >= MAX_APPLICATIONS_PER_ACCOUNT) {
      throw new DomainError('conflict', `an account may register at most ${MAX_APPLICATIONS_PER_ACCOUNT} applications`);
    }
    const app = this.applications.create({
      id: randomUUID(),
      ownerAccountId: developer.account.id,
      name: input.name,
      description: input.description ?? '',
      homepage: input.homepage ?? null,
      redirectUris: [...new Set(input.redirectUris ?? [])],
      status: 'pending',
      createdAt: new Date(),
      reviewedAt: null,
      reviewedBy: null,
    });
    await this.applications.insert(app);
    this.record('apps.register', developer, app, origin);
    return app;
  }

  listOwn(accountId: string): Promise<Application[]> {
    return this.applications.find({ where: { ownerAccountId: accountId }, order: { createdAt: 'DESC' } });
  }

  /** A developer's own application; someone else's is as absent as a missing one. */
  async getOwn(accountId: string, id: string): Promise<Application> {
    const app = await this.applications.findOneBy({ id, ownerAccountId: accountId });
    if (!app) throw new DomainError('not_found', 'no such application');
    return app;
  }

  async get(id: string): Promise<Application> {
    const app = await this.applications.findOneBy({ id });
    if (!app) throw new DomainError('not_found', 'no such application');
    return app;
  }

  async list(offset: number, limit: number, status?: ApplicationStatus): Promise<{ items: Application[]; total: number }> {
    const [items, total] = await this.applications.findAndCount({ where: status ? { status } : {}, order: { createdAt: 'ASC' }, skip: offset, take: limit });
    return { items, total };
  }

  /** The active key of each application (at most one each), without its secret. */
  async activeKeys(applicationIds: readonly string[]): Promise<Map<string, ApiKey>> {
    if (applicationIds.length === 0) return new Map();
    const keys = await this.keys.findBy({ applicationId: In([...applicationIds]), status: 'active' });
    return new Map(keys.map((k) => [k.applicationId, k]));
  }

  /** Owner account id → login. */
  owners(ownerIds: readonly string[]): Promise<Map<string, string>> {
    return this.accounts.loginsOf(ownerIds);
  }

  /**
   * An operator's review action. Revoking also retires every key of the application, so that
   * nothing brings them back. The update is conditional on the status read, so two operators
   * acting at once cannot both succeed. `operator`: a signed-in operator, or the operator CLI's
   * `cli:<user>` (which has no request).
   */
  async review(operator: { account: { login: string } }, id: string, action: ReviewAction, origin?: AuditOrigin): Promise<Application> {
    const app = await this.get(id);
    const next = reviewTransition(app.status, action);
    if (!next) throw new DomainError('conflict', `cannot ${action} an application that is ${app.status} (only ${allowedFrom(action).join(' or ')})`);
    const now = new Date();
    await this.dataSource.transaction(async (m) => {
      const res = await m.update(Application, { id, status: app.status }, { status: next, reviewedAt: now, reviewedBy: operator.account.login });
      if (res.affected !== 1) throw new DomainError('conflict', 'the application changed meanwhile; reload and try again');
      if (next === 'revoked') await m.update(ApiKey, { applicationId: id, status: 'active' }, { status: 'retired', retiredAt: now });
    });
    await this.cache.announce(id);
    Object.assign(app, { status: next, reviewedAt: now, reviewedBy: operator.account.login });
    this.audit.record({
      type: `admin.apps.${action}`,
      outcome: 'info',
      login: operator.account.login,
      accountId: app.ownerAccountId,
      actor: operator.account.login,
      detail: { applicationId: app.id, name: app.name, status: next },
      origin,
    });
    return app;
  }

  /**
   * Issues a key for an approved application and returns it in the clear, the only time it is
   * ever shown. `first`: only while the application has no active key (the developer fetches the
   * key approval made available). `rotate`: the active key is retired in the same transaction, so
   * it stops working at once (on every instance, within a second).
   */
  async issueKey(developer: Principal, id: string, mode: 'first' | 'rotate', origin: AuditOrigin, limitsInput: LimitsInput = {}): Promise<IssuedKey> {
    const limits = parseLimitsInput(limitsInput);
    const app = await this.getOwn(developer.account.id, id);
    if (!keysUsable(app.status)) throw new DomainError('conflict', `the application is ${app.status}; keys are issued to approved applications only`);
    const key = generateApiKey();
    const now = new Date();
    const record = this.keys.create({
      id: randomUUID(),
      applicationId: app.id,
      hash: this.keyRing.hmac(API_KEY_HMAC_PURPOSE, key),
      last4: lastFour(key),
      status: 'active',
      createdAt: now,
      retiredAt: null,
      lastUsedAt: null,
      lastUsedIp: null,
      expiresAt: limits.expiresAt ?? null,
      allowedRanges: limits.allowedRanges ?? null,
    });
    let retired: string | null = null;
    try {
      await this.dataSource.transaction(async (m) => {
        const current = await m.findOneBy(ApiKey, { applicationId: app.id, status: 'active' });
        if (current && mode === 'first') throw new DomainError('conflict', 'a key was already issued and is shown only once; rotate it to get a new one');
        if (current) {
          await m.update(ApiKey, { id: current.id, status: 'active' }, { status: 'retired', retiredAt: now });
          retired = current.last4;
          // A rotated key keeps the limits the developer set, unless new ones are sent.
          const kept = limitsAfter(current, limits);
          record.expiresAt = kept.expiresAt === null ? null : new Date(kept.expiresAt);
          record.allowedRanges = kept.allowedRanges ? [...kept.allowedRanges] : null;
        }
        // The partial unique index allows one active key per application: a concurrent issue loses here.
        await m.insert(ApiKey, record);
        // Re-checked inside the transaction: an operator's revoke may have landed meanwhile.
        const still = await m.findOneBy(Application, { id: app.id });
        if (!still || !keysUsable(still.status)) throw new DomainError('conflict', 'the application is no longer approved');
      });
    } catch (err) {
      if (err instanceof DomainError) throw err;
      if (await this.keys.existsBy({ applicationId: app.id, status: 'active' })) {
        throw new DomainError('conflict', 'another key was issued for this application at the same moment; rotate to get a new one');
      }
      throw err;
    }
    await this.cache.announce(app.id);
    this.record(mode === 'first' ? 'apps.key.issue' : 'apps.key.rotate', developer, app, origin, {
      keyId: record.id,
      last4: record.last4,
      ...(retired ? { retiredLast4: retired } : {}),
      ...keyLimitsDetail(record),
    });
    return { key, record };
  }

  /**
   * Changes the expiry or allowed ranges of the application's active key (absent fields stay).
   * Announced like a rotation: every instance's key cache drops the application within a second.
   */
  async updateKeyLimits(developer: Principal, id: string, input: LimitsInput, origin: AuditOrigin): Promise<ApiKey> {
    const limits = parseLimitsInput(input);
    const app = await this.getOwn(developer.account.id, id);
    const key = await this.keys.findOneBy({ applicationId: app.id, status: 'active' });
    if (!key) throw new DomainError('conflict', 'the application has no active key; fetch or rotate one first');
    const patch: Partial<ApiKey> = {};
    if (limits.expiresAt !== undefined) patch.expiresAt = limits.expiresAt;
    if (limits.allowedRanges !== undefined) patch.allowedRanges = limits.allowedRanges;
    if (Object.keys(patch).length === 0) return key;
    const res = await this.keys.update({ id: key.id, status: 'active' }, patch);
    if (res.affected !== 1) throw new DomainError('conflict', 'the key was replaced meanwhile; reload and try again');
    Object.assign(key, patch);
    await this.cache.announce(app.id);
    this.record('apps.key.limits', developer, app, origin, { keyId: key.id, last4: key.last4, ...keyLimitsDetail(key) });
    return key;
  }

  private record(type: string, developer: Principal, app: Application, origin: AuditOrigin, extra: Record<string, unknown> = {}): void {
    this.audit.record({ type, outcome: 'info', login: developer.account.login, accountId: developer.account.id, detail: { applicationId: app.id, name: app.name, ...extra }, origin });
  }
}

/** A key's limits for its audit records. */
function keyLimitsDetail(k: ApiKey): Record<string, unknown> {
  return { expiresAt: k.expiresAt?.toISOString() ?? null, allowedRanges: k.allowedRanges };
}
