import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { Account } from '../accounts/account.entity.js';
import { AppConnection } from '../accounts/app-connection.entity.js';

/** An app connection still in `legacy`, with its account loaded. */
export type LegacyConnection = AppConnection & { account: Account };

/**
 * The legacy-cutoff view (contract §4.2): accounts whose app connection is still `legacy`, so Basic
 * still takes their login password, most recently used first — the ones to move to an issued
 * password before Basic with login passwords is switched off. Never-used ones come last.
 */
@Injectable()
export class LegacyAccountsReport {
  constructor(@InjectRepository(AppConnection) private readonly connections: Repository<AppConnection>) {}

  async list(offset: number, limit: number): Promise<{ items: LegacyConnection[]; total: number }> {
    const [items, total] = await this.connections
      .createQueryBuilder('c')
      .innerJoinAndSelect('c.account', 'a')
      .where('c.state = :state', { state: 'legacy' })
      .orderBy('c.lastUsedAt', 'DESC', 'NULLS LAST')
      .addOrderBy('a.login', 'ASC')
      .offset(offset)
      .limit(limit)
      .getManyAndCount();
    return { items: items as LegacyConnection[], total };
  }
}
