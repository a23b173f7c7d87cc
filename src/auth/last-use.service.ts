import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { AppConnection } from '../accounts/app-connection.entity.js';
import { AppPassword } from '../accounts/app-password.entity.js';
import { Sublogin } from '../accounts/sublogin.entity.js';

export type CredentialKind = 'app-connection' | 'app-password' | 'sublogin';

/** The credentials that record their last use, and the entity property that identifies each. */
const CREDENTIALS: Readonly<Record<CredentialKind, { entity: EntityTarget<ObjectLiteral>; key: string }>> = {
  'app-connection': { entity: AppConnection, key: 'accountId' },
  // Shown in the app-password list (contract §4.2).
  'app-password': { entity: AppPassword, key: 'id' },
  // Shown in the sublogin list (contract §4.1).
  sublogin: { entity: Sublogin, key: 'id' },
};

const MIN_INTERVAL_MS = 60_000;

/**
 * Records when and from where a credential was last used (contract §4.1), at most once a minute per
 * credential and instance: a WebDAV client's thousand requests a minute cost one write.
 */
@Injectable()
export class LastUseService {
  private readonly logger = new Logger(LastUseService.name);
  private readonly lastWrite = new Map<string, number>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  touch(kind: CredentialKind, id: string, ip: string | undefined): void {
    const target = CREDENTIALS[kind];
    const cacheKey = `${kind}:${id}`;
    const now = Date.now();
    if (now - (this.lastWrite.get(cacheKey) ?? 0) < MIN_INTERVAL_MS) return;
    this.lastWrite.set(cacheKey, now);
    if (this.lastWrite.size > 100_000) this.lastWrite.clear();
    this.dataSource
      .getRepository(target.entity)
      .update({ [target.key]: id }, { lastUsedAt: new Date(now), lastUsedIp: ip?.slice(0, 64) ?? null })
      .catch((err: unknown) => this.logger.warn({ err }, 'could not record last use'));
  }
}
