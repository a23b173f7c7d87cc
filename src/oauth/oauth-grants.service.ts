import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Grant } from 'oidc-provider';
import type { DataSource } from 'typeorm';
import { AccountsService } from '../accounts/accounts.service.js';
import { SubloginLookup } from '../accounts/sublogin-lookup.js';
import type { AppAuthorization } from '../api-keys/app-authorization.js';
import { type AuditOrigin, AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { splitScopes } from './core/scopes.js';
import { OAuthArtifact } from './oauth-artifact.entity.js';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import { OAuthProvider } from './oauth-provider.js';
import { OAuthRevocations } from './oauth-revocations.js';

interface ArtifactRow {
  grant_id: string;
  client_id: string;
  payload: string;
  created_at: string | number;
  expires_at: string | number | null;
  last_used_at: string | number | null;
  last_used_ip: string | null;
  sublogin_id: string | null;
}

interface GrantRow extends ArtifactRow {
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
export class OAuthGrants {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: OAuthArtifactStore,
    private readonly oauth: OAuthProvider,
    private readonly revocations: OAuthRevocations,
    private readonly audit: AuditService,
    private readonly accounts: AccountsService,
    private readonly sublogins: SubloginLookup,
  ) {}

  async list(accountId: string): Promise<Map<string, AppAuthorization[]>> {
    const now = Date.now();
    const rows = await this.grants(accountId);
    const out = new Map<string, AppAuthorization[]>();
    for (const row of rows) {
      const expiresAt = instant(row.expires_at);
      if (expiresAt && expiresAt.getTime() <= now) continue;
      const payload = this.store.payloadOf({ payload: row.payload, expiresAt, consumedAt: null }, undefined) as Pick<Grant, 'resources' | 'openid'> | undefined;
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

  async revoke(principal: Principal, applicationId: string, origin: AuditOrigin): Promise<number> {
    const grants = (await this.grants(principal.account.id)).filter((g) => g.client_id === applicationId);
    for (const g of grants) {
      await this.store.revokeGrant(g.grant_id);
      await this.revocations.grantRevoked(g.grant_id);
    }
    if (grants.length) {
      this.audit.record({ type: 'me.apps.revoke', outcome: 'info', login: principal.account.login, accountId: principal.account.id, detail: { applicationId, grants: grants.length }, origin });
    }
    return grants.length;
  }

  /** The account's grants, oldest first, with the logins that granted them (asked of accounts). */
  private async grants(accountId: string): Promise<GrantRow[]> {
    const rows = await this.dataSource
      .createQueryBuilder()
      .select('g.grant_id', 'grant_id')
      .addSelect('g.client_id', 'client_id')
      .addSelect('g.payload', 'payload')
      .addSelect('g.created_at', 'created_at')
      .addSelect('g.expires_at', 'expires_at')
      .addSelect('g.last_used_at', 'last_used_at')
      .addSelect('g.last_used_ip', 'last_used_ip')
      .addSelect('g.sublogin_id', 'sublogin_id')
      .from(OAuthArtifact, 'g')
      .where("g.account_id = :accountId AND g.model = 'Grant'", { accountId })
      .orderBy('g.created_at', 'ASC')
      .getRawMany<ArtifactRow>();
    if (rows.length === 0) return [];
    const subloginIds = rows.flatMap((r) => (r.sublogin_id ? [r.sublogin_id] : []));
    const [logins, sublogins] = await Promise.all([this.accounts.loginsOf([accountId]), this.sublogins.namesOf(accountId, subloginIds)]);
    const accountLogin = logins.get(accountId);
    if (accountLogin === undefined) return [];
    return rows.map((r) => {
      const sublogin = r.sublogin_id ? sublogins.get(r.sublogin_id) : undefined;
      return { ...r, account_login: accountLogin, sublogin_login: sublogin?.login ?? null, sublogin_name: sublogin?.name ?? null };
    });
  }
}

function instant(v: string | number | null | undefined): Date | null {
  return v === null || v === undefined ? null : new Date(Number(v));
}
