import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import type { AppAuthorization, AuthorizedApplications } from '../api-keys/authorized-apps.port.js';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { Sublogin } from '../sublogins/sublogin.entity.js';
import { splitScopes } from './core/scopes.js';
import { OAuthArtifact } from './oauth-artifact.entity.js';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import { OAuthProvider } from './oauth-provider.js';
import { OAuthRevocations } from './oauth-revocations.js';

interface GrantRow {
  grant_id: string;
  client_id: string;
  payload: string;
  created_at: string | number;
  expires_at: string | number | null;
  last_used_at: string | number | null;
  last_used_ip: string | null;
  account_login: string;
  sublogin_login: string | null;
  sublogin_name: string | null;
}

/**
 * Connected applications, the OAuth half (contract §4.4): an account's grants (its own and its
 * sublogins'), and revoking them — the grant and every token and code of it are deleted, and
 * every instance's Bearer cache drops them at once (OAuthRevocations).
 */
@Injectable()
export class OAuthGrants implements AuthorizedApplications {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: OAuthArtifactStore,
    private readonly oauth: OAuthProvider,
    private readonly revocations: OAuthRevocations,
    private readonly audit: AuditService,
  ) {}

  async list(accountId: string): Promise<Map<string, AppAuthorization[]>> {
    const now = Date.now();
    const rows = await this.grants(accountId);
    const out = new Map<string, AppAuthorization[]>();
    for (const row of rows) {
      const expiresAt = instant(row.expires_at);
      if (expiresAt && expiresAt.getTime() <= now) continue;
      const payload = this.store.payloadOf({ payload: row.payload, expiresAt, consumedAt: null }, undefined) as { resources?: Record<string, string>; openid?: { scope?: string } } | undefined;
      if (!payload) continue;
      const scopes = splitScopes([payload.resources?.[this.oauth.resource] ?? '', payload.openid?.scope ?? ''].join(' '));
      const list = out.get(row.client_id) ?? [];
      list.push({
        login: row.sublogin_login ?? row.account_login,
        sublogin: row.sublogin_name,
        scopes,
        authorizedAt: instant(row.created_at)!,
        expiresAt,
        lastUsedAt: instant(row.last_used_at),
        lastUsedIp: row.last_used_ip,
      });
      out.set(row.client_id, list);
    }
    return out;
  }

  async revoke(principal: Principal, applicationId: string, req: FastifyRequest): Promise<number> {
    const grants = (await this.grants(principal.account.id)).filter((g) => g.client_id === applicationId);
    for (const g of grants) {
      await this.store.revokeGrant(g.grant_id);
      await this.revocations.grantRevoked(g.grant_id);
    }
    if (grants.length) {
      this.audit.record({ type: 'me.apps.revoke', outcome: 'info', login: principal.account.login, accountId: principal.account.id, detail: { applicationId, grants: grants.length }, request: req });
    }
    return grants.length;
  }

  private grants(accountId: string): Promise<GrantRow[]> {
    return this.dataSource
      .createQueryBuilder()
      .select('g.grant_id', 'grant_id')
      .addSelect('g.client_id', 'client_id')
      .addSelect('g.payload', 'payload')
      .addSelect('g.created_at', 'created_at')
      .addSelect('g.expires_at', 'expires_at')
      .addSelect('g.last_used_at', 'last_used_at')
      .addSelect('g.last_used_ip', 'last_used_ip')
      .addSelect('acc.login', 'account_login')
      .addSelect('s.login', 'sublogin_login')
      .addSelect('s.name', 'sublogin_name')
      .from(OAuthArtifact, 'g')
      .innerJoin(Account, 'acc', 'acc.id = g.account_id')
      .leftJoin(Sublogin, 's', 's.id = g.sublogin_id')
      .where("g.account_id = :accountId AND g.model = 'Grant'", { accountId })
      .orderBy('g.created_at', 'ASC')
      .getRawMany<GrantRow>();
  }
}

function instant(v: string | number | null | undefined): Date | null {
  return v === null || v === undefined ? null : new Date(Number(v));
}
