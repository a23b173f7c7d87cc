import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { type AuditOrigin, AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors/domain-error.js';
import { ApiKeyBlock } from './api-key-block.entity.js';
import { ApiKeyCache } from './api-key-cache.js';
import { ApiKeyUse } from './api-key-use.entity.js';
import { Application } from './application.entity.js';

/** One application as a customer sees it in MyPage: whether it used their account, and whether they blocked it. */
export interface ConnectedApplication {
  application: Application;
  block: ApiKeyBlock | null;
  use: ApiKeyUse | null;
}

/**
 * A customer's per-application blocks (contract §4.3 "per-user invalidation"): a blocked
 * application's keys answer `api_key_blocked` for that customer and their sublogins, and keep
 * working for everyone else. Changes reach every instance's key cache within a second.
 */
@Injectable()
export class ApiKeyBlocksService {
  constructor(
    @InjectRepository(Application) private readonly applications: Repository<Application>,
    @InjectRepository(ApiKeyBlock) private readonly blocks: Repository<ApiKeyBlock>,
    @InjectRepository(ApiKeyUse) private readonly uses: Repository<ApiKeyUse>,
    private readonly cache: ApiKeyCache,
    private readonly audit: AuditService,
  ) {}

  /**
   * Applications that used the account's credentials with their key, and those it blocked;
   * `alsoApplicationIds` adds others (those the account authorized over OAuth).
   */
  async list(accountId: string, alsoApplicationIds: readonly string[] = []): Promise<ConnectedApplication[]> {
    const [blocks, uses] = await Promise.all([this.blocks.findBy({ accountId }), this.uses.findBy({ accountId })]);
    const ids = [...new Set([...blocks.map((b) => b.applicationId), ...uses.map((u) => u.applicationId), ...alsoApplicationIds])];
    if (ids.length === 0) return [];
    const apps = await this.applications.findBy({ id: In(ids) });
    const blockOf = new Map(blocks.map((b) => [b.applicationId, b]));
    const useOf = new Map(uses.map((u) => [u.applicationId, u]));
    return apps
      .map((application) => ({ application, block: blockOf.get(application.id) ?? null, use: useOf.get(application.id) ?? null }))
      .sort((a, b) => (b.use?.lastUsedAt.getTime() ?? 0) - (a.use?.lastUsedAt.getTime() ?? 0) || a.application.name.localeCompare(b.application.name));
  }

  /** Blocks an application for the account; idempotent. Any existing application may be blocked, used or not. */
  async block(principal: Principal, applicationId: string, origin: AuditOrigin): Promise<ConnectedApplication> {
    const application = await this.application(applicationId);
    const accountId = principal.account.id;
    let block = await this.blocks.findOneBy({ accountId, applicationId });
    if (!block) {
      block = this.blocks.create({ accountId, applicationId, createdAt: new Date() });
      try {
        await this.blocks.insert(block);
      } catch (err) {
        // A concurrent block of the same pair won: the outcome is the same.
        block = await this.blocks.findOneBy({ accountId, applicationId });
        if (!block) throw err;
      }
      await this.cache.announce(applicationId);
      this.record('me.apps.block', principal, application, origin);
    }
    return { application, block, use: await this.uses.findOneBy({ accountId, applicationId }) };
  }

  /** Lifts a block; idempotent. */
  async unblock(principal: Principal, applicationId: string, origin: AuditOrigin): Promise<ConnectedApplication> {
    const application = await this.application(applicationId);
    const accountId = principal.account.id;
    const res = await this.blocks.delete({ accountId, applicationId });
    if (res.affected) {
      await this.cache.announce(applicationId);
      this.record('me.apps.unblock', principal, application, origin);
    }
    return { application, block: null, use: await this.uses.findOneBy({ accountId, applicationId }) };
  }

  private async application(id: string): Promise<Application> {
    const app = await this.applications.findOneBy({ id });
    if (!app) throw new DomainError('not_found', 'no such application');
    return app;
  }

  private record(type: string, principal: Principal, application: Application, origin: AuditOrigin): void {
    this.audit.record({ type, outcome: 'info', login: principal.account.login, accountId: principal.account.id, detail: { applicationId: application.id, name: application.name }, origin });
  }
}
