import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { type Principal, principalLogin } from '../auth/principal.js';
import type { RequestMeta } from '../auth/request-meta.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { ApiKeyUse } from './api-key-use.entity.js';
import { ApiKey } from './api-key.entity.js';
import type { KnownKey } from './api-key-cache.js';

const MIN_INTERVAL_MS = 60_000;
const MAX_TRACKED = 100_000;

/**
 * What the API-key step leaves behind, kept off the request's critical path and bounded: a key's
 * last use (contract §4.1, shown to its developer), the customer's record that the application used
 * their account (MyPage), and audit lines. Each is written at most once a minute per key,
 * per (account, application) or per (login, code, key) and instance: a client's thousand
 * requests a minute cost a few writes, and a client stuck on a revoked key a line a minute.
 */
@Injectable()
export class ApiKeyUsageService {
  private readonly logger = new Logger(ApiKeyUsageService.name);
  private readonly lastWrite = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  used(key: KnownKey, principal: Principal, origin: Pick<RequestMeta, 'ip' | 'userAgent'>): void {
    const now = Date.now();
    const ip = origin.ip?.slice(0, 64) ?? null;
    if (this.due(`key:${key.keyId}`, now)) {
      this.quietly(this.dataSource.getRepository(ApiKey).update({ id: key.keyId }, { lastUsedAt: new Date(now), lastUsedIp: ip }));
    }
    const accountId = principal.account.id;
    if (this.due(`use:${accountId}:${key.application.id}`, now)) {
      const at = new Date(now);
      this.quietly(
        this.dataSource
          .createQueryBuilder()
          .insert()
          .into(ApiKeyUse)
          .values({ accountId, applicationId: key.application.id, firstUsedAt: at, lastUsedAt: at, lastUsedIp: ip })
          .orUpdate(['last_used_at', 'last_used_ip'], ['account_id', 'application_id'])
          .execute(),
      );
      this.audit.record({ type: 'auth.api_key', outcome: 'success', login: principalLogin(principal), accountId, detail: { applicationId: key.application.id, name: key.application.name }, origin });
    }
  }

  /** An audit line for a refused key; `fingerprint` is a prefix of the key's HMAC, never the key. */
  refused(code: ErrorCode, principal: Principal, origin: Pick<RequestMeta, 'ip' | 'userAgent'>, detail: { applicationId?: string; fingerprint?: string } = {}): void {
    const login = principalLogin(principal);
    if (!this.due(`refused:${login}:${code}:${detail.fingerprint ?? ''}`, Date.now())) return;
    this.audit.record({ type: 'auth.api_key', outcome: 'failure', login, accountId: principal.account.id, code, detail: { method: principal.method, ...detail }, origin });
  }

  private due(key: string, now: number): boolean {
    if (now - (this.lastWrite.get(key) ?? 0) < MIN_INTERVAL_MS) return false;
    if (this.lastWrite.size >= MAX_TRACKED) this.lastWrite.clear();
    this.lastWrite.set(key, now);
    return true;
  }

  private quietly(write: Promise<unknown>): void {
    write.catch((err: unknown) => this.logger.warn({ err }, 'could not record API key use'));
  }
}
