import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { ApiKeyBlock } from '../api-keys/api-key-block.entity.js';
import { ApiKeyCache } from '../api-keys/api-key-cache.js';
import { Application } from '../api-keys/application.entity.js';
import { keysUsable } from '../api-keys/core/application-lifecycle.js';
import { type Principal, principalLogin } from '../auth/principal.js';
import type { Refusal, Verification } from '../auth/verification.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { CredentialEvents } from '../shared-state/credential-events.js';
import { TaggedCache } from '../shared-state/tagged-cache.js';
import { Sublogin, subloginLimits } from '../accounts/sublogin.entity.js';
import { splitScopes } from './core/scopes.js';
import { OAuthArtifact } from './oauth-artifact.entity.js';
import { OAuthArtifactStore } from './oauth-artifact.store.js';
import { OAuthProvider } from './oauth-provider.js';
import { OAuthRevocations } from './oauth-revocations.js';

interface Entry {
  principal: Principal;
  /** The token's own expiry; the cache's TTL may end the entry sooner. */
  expiresAt: number;
  grantId: string;
}

interface Row {
  t_payload: string;
  t_expires_at: string | number | null;
  grant_id: string;
  g_expires_at: string | number | null;
  app_id: string;
  app_name: string;
  app_status: Application['status'];
  acc_id: string;
  acc_login: string;
  acc_role: Account['role'];
  acc_status: Account['status'];
  t_sublogin_id: string | null;
  s_id: string | null;
  s_login: string | null;
  s_name: string | null;
  s_enabled: boolean | number | string | null;
  s_expires_at: string | number | null;
  s_allowed_ranges: string | null;
  blocked_by: string | null;
}

const MAX_ENTRIES = 100_000;
const MIN_WRITE_INTERVAL_MS = 60_000;

/**
 * Validates our opaque access tokens in-process (contract §4.4) and remembers the answer (when the
 * access pipeline's AuthOutcome says so: `remember`).
 *
 * A miss is one indexed read: the token's row by primary key, joined to its grant, application,
 * account, sublogin and the account's block of the application, so that every reason a token may
 * have stopped working is seen at once: expired, revoked (its row or its grant gone), the
 * application not approved any more, blocked by the user, the account suspended, the sublogin
 * disabled or deleted.
 *
 * A hit is a sha256 and a Map probe (TaggedCache). Entries are tagged with the token, its grant,
 * its application and the logins involved, and dropped on every instance within a second when
 * any of those change: token and grant revocations (OAuthRevocations), application changes (the
 * API-key cache's broadcast), account and sublogin changes (CredentialEvents). A read that raced
 * with such a change is not stored (generation guard); entries live at most VERIFY_CACHE_TTL
 * and never past the token's expiry.
 */
@Injectable()
export class BearerTokens implements OnModuleInit {
  private readonly logger = new Logger(BearerTokens.name);
  private readonly cache: TaggedCache<Entry>;
  private readonly lastWrite = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: OAuthArtifactStore,
    private readonly oauth: OAuthProvider,
    private readonly revocations: OAuthRevocations,
    private readonly apiKeys: ApiKeyCache,
    private readonly credentialEvents: CredentialEvents,
  ) {
    // Fails closed while broadcasts may go unheard (see TaggedCache).
    this.cache = new TaggedCache(config.verifyCacheTtlSeconds * 1000, MAX_ENTRIES, credentialEvents);
  }

  get hits(): number {
    return this.cache.hits;
  }

  get misses(): number {
    return this.cache.misses;
  }

  onModuleInit(): void {
    this.revocations.onRevoked((r) => this.cache.dropTag(r.kind === 'grant' ? `grant:${r.grantId}` : `token:${r.idHash}`));
    this.apiKeys.onApplicationChange((applicationId) => this.cache.dropTag(`app:${applicationId}`));
    this.credentialEvents.onChange((login) => this.cache.dropTag(`login:${login}`));
  }

  /** The remembered principal of a token verified recently, and its grant, if nothing changed since. */
  cached(token: string): { principal: Principal; grantId: string } | undefined {
    const entry = this.cache.get(OAuthArtifactStore.hash(token));
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry;
  }

  /**
   * The token's principal and what to record of it, or why it is not (or no longer) a valid
   * access token, with the refusal's audit record (once a minute per token and reason: a client
   * stuck on a revoked token is one line, not thousands).
   */
  async verify(token: string): Promise<{ principal: Principal; verification: Verification } | { refusal: Refusal }> {
    const hash = OAuthArtifactStore.hash(token);
    const generation = this.cache.generation();
    const row = await this.load(hash);
    const now = Date.now();
    const refusal = row ? this.refusal(row, now) : 'unknown';
    const payload = row && !refusal ? this.store.payloadOf({ payload: row.t_payload, expiresAt: instant(row.t_expires_at), consumedAt: null }, token) : undefined;
    if (!row || refusal || !payload || payload.aud !== this.oauth.resource) {
      const reason = refusal ?? 'payload';
      return {
        // Not counted for a customer in the statistics: a token names no login that was presented.
        refusal: {
          login: null,
          audit: {
            type: 'auth.bearer',
            code: 'invalid_token',
            login: row ? (row.s_login ?? row.acc_login) : null,
            accountId: row?.acc_id ?? null,
            detail: { reason, token: hash.slice(0, 12), ...(row ? { applicationId: row.app_id } : {}) },
            every: { minute: `bearer:${hash}:${reason}` },
          },
        },
      };
    }
    const principal: Principal = {
      method: 'bearer',
      account: { id: row.acc_id, login: row.acc_login, role: row.acc_role },
      sublogin: row.s_id ? { id: row.s_id, login: row.s_login!, name: row.s_name! } : null,
      application: { id: row.app_id, name: row.app_name },
      scopes: splitScopes(typeof payload.scope === 'string' ? payload.scope : ''),
      // A grant made by a limited sublogin carries its limits (checked per request by the LimitsStep).
      limits: row.s_id ? subloginLimits({ expiresAt: instant(row.s_expires_at), allowedRanges: row.s_allowed_ranges ? row.s_allowed_ranges.split(',') : null }) : undefined,
    };
    const tags = [`token:${hash}`, `grant:${row.grant_id}`, `app:${row.app_id}`, `login:${row.acc_login}`, ...(row.s_login ? [`login:${row.s_login}`] : [])];
    return {
      principal,
      verification: {
        audit: { type: 'auth.bearer', login: principalLogin(principal), detail: { applicationId: row.app_id, grant: row.grant_id.slice(0, 8) } },
        remember: { cache: 'bearer', hash, grantId: row.grant_id, expiresAt: instant(row.t_expires_at)?.getTime() ?? Infinity, tags, generation },
        lastUse: { kind: 'grant', id: row.grant_id },
      },
    };
  }

  /** Keeps a verified token's answer, unless something changed since `generation` (AuthOutcome's cache fill). */
  remember(principal: Principal, fill: { hash: string; grantId: string; expiresAt: number; tags: readonly string[]; generation: number }): void {
    this.cache.set(fill.hash, { principal, expiresAt: fill.expiresAt, grantId: fill.grantId }, fill.tags, fill.generation);
  }

  private async load(hash: string): Promise<Row | undefined> {
    return this.dataSource
      .createQueryBuilder()
      .select('t.payload', 't_payload')
      .addSelect('t.expires_at', 't_expires_at')
      .addSelect('t.grant_id', 'grant_id')
      .addSelect('t.sublogin_id', 't_sublogin_id')
      .addSelect('g.expires_at', 'g_expires_at')
      .addSelect('a.id', 'app_id')
      .addSelect('a.name', 'app_name')
      .addSelect('a.status', 'app_status')
      .addSelect('acc.id', 'acc_id')
      .addSelect('acc.login', 'acc_login')
      .addSelect('acc.role', 'acc_role')
      .addSelect('acc.status', 'acc_status')
      .addSelect('s.id', 's_id')
      .addSelect('s.login', 's_login')
      .addSelect('s.name', 's_name')
      .addSelect('s.enabled', 's_enabled')
      .addSelect('s.expires_at', 's_expires_at')
      .addSelect('s.allowed_ranges', 's_allowed_ranges')
      .addSelect('b.account_id', 'blocked_by')
      .from(OAuthArtifact, 't')
      .innerJoin(OAuthArtifact, 'g', "g.model = 'Grant' AND g.grant_id = t.grant_id")
      .innerJoin(Application, 'a', 'a.id = t.client_id')
      .innerJoin(Account, 'acc', 'acc.id = t.account_id')
      .leftJoin(Sublogin, 's', 's.id = t.sublogin_id')
      .leftJoin(ApiKeyBlock, 'b', 'b.application_id = t.client_id AND b.account_id = t.account_id')
      .where("t.model = 'AccessToken' AND t.id = :hash", { hash })
      .getRawOne<Row>();
  }

  /** Why a stored token does not authenticate, or null when it does. */
  private refusal(row: Row, now: number): string | null {
    const tExp = instant(row.t_expires_at);
    const gExp = instant(row.g_expires_at);
    if (tExp && tExp.getTime() <= now) return 'expired';
    if (gExp && gExp.getTime() <= now) return 'grant_expired';
    if (!keysUsable(row.app_status)) return 'application_not_approved';
    if (row.blocked_by) return 'application_blocked';
    if (row.acc_status !== 'active') return 'account_suspended';
    if (row.t_sublogin_id && (!row.s_id || !truthy(row.s_enabled))) return 'sublogin_disabled';
    return null;
  }

  /** A grant's last use (contract §4.1), at most once a minute per grant and instance. */
  recordUse(grantId: string, ip: string | undefined): void {
    if (!this.due(`grant:${grantId}`)) return;
    this.dataSource
      .createQueryBuilder()
      .update(OAuthArtifact)
      .set({ lastUsedAt: new Date(), lastUsedIp: ip?.slice(0, 64) ?? null })
      .where("model = 'Grant' AND grant_id = :grantId", { grantId })
      .execute()
      .catch((err: unknown) => this.logger.warn({ err }, 'could not record the last use of a grant'));
  }

  private due(key: string): boolean {
    const now = Date.now();
    if (now - (this.lastWrite.get(key) ?? 0) < MIN_WRITE_INTERVAL_MS) return false;
    if (this.lastWrite.size >= MAX_ENTRIES) this.lastWrite.clear();
    this.lastWrite.set(key, now);
    return true;
  }
}

function instant(v: string | number | null | undefined): Date | null {
  return v === null || v === undefined ? null : new Date(Number(v));
}

function truthy(v: boolean | number | string | null): boolean {
  return v === true || v === 1 || v === '1' || v === 't' || v === 'true';
}
