import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import type { AccountRole } from '../accounts/account.entity.js';
import { AclService, toCanonicalRequestPath } from '../acl/acl.service.js';
import { aclSpecificOf } from '../acl/acl-specific.js';
import { AuditService } from '../audit/audit.service.js';
import { type Principal, principalLogin } from '../auth/principal.js';
import type { RequestMeta } from '../auth/request-meta.js';
import { CredentialRefused, type Verification } from '../auth/verification.js';
import { type CredentialLimits, LIMIT_MESSAGES, limitRefusal, limitsExcess, normalizeAddressRanges } from '../common/credential-limits.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { sha256Hex } from '../crypto/secrets.js';
import { DomainError } from '../errors/domain-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { OtpReplayStore } from '../replay/otp-replay.store.js';
import { StorageService } from '../storage/storage.service.js';
import { formatLinkToken, type LinkMethod, type LinkTarget, linkCovers, parseLinkToken, type SignedFields } from './core/link-token.js';
import { LinkSigner } from './link-signer.js';
import { SignedLink } from './signed-link.entity.js';

/** What a customer or sublogin asks for (POST /api/file/links). */
export interface NewLink {
  method: LinkMethod;
  path: string;
  target?: LinkTarget;
  /** Seconds from now, 1..OTP_MAX_TTL. */
  expiresIn: number;
  allowedRanges?: string[];
  maxUses?: number;
  maxUploadBytes?: number;
}

/** What a presented link asks to do: its route's method, and for a folder link the path below it. */
export interface LinkRequest {
  token: unknown;
  method: LinkMethod;
  /** The path under a folder link (`PUT /link/{token}/{name…}`), as decoded from the URL; undefined for `/link/{token}`. */
  below: string | undefined;
  /** The announced body size of a PUT (Content-Length), if any. */
  contentLength: number | undefined;
  meta: RequestMeta;
}

/** What a verified link lets its request do, for the handler. */
export interface LinkGrant {
  id: string;
  method: LinkMethod;
  /** Canonical storage path the request acts on. */
  path: string;
  /** The link's own upload limit; null: only MAX_UPLOAD_BYTES. */
  maxUploadBytes: number | null;
}

const AUDIT = 'auth.link' as const;

/**
 * Signed links (contract §4.8): made by a customer or a sublogin within its own rights, verified
 * on each use (the link's route runs the `link` credential method), listed and revoked. Nothing
 * is cached: every use reads the link's row, so a revocation holds on every instance at once.
 */
@Injectable()
export class LinksService {
  constructor(
    @InjectRepository(SignedLink) private readonly links: Repository<SignedLink>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly signer: LinkSigner,
    private readonly acl: AclService,
    private readonly replay: OtpReplayStore,
    private readonly storage: StorageService,
    private readonly audit: AuditService,
  ) {}

  async create(principal: Principal, input: NewLink, meta: RequestMeta): Promise<{ link: SignedLink; token: string; url: string }> {
    const target: LinkTarget = input.target ?? 'file';
    if (input.method === 'GET' && target !== 'file') throw new DomainError('validation_failed', 'a download link names one file (target "file")');
    const path = canonicalStoragePath(input.path);
    if (target === 'file' && path === '') throw new DomainError('path_invalid', 'a file link needs a file path');
    if (!Number.isInteger(input.expiresIn) || input.expiresIn < 1 || input.expiresIn > this.config.otpMaxTtlSeconds) {
      throw new DomainError('validation_failed', `expiresIn must be 1..${this.config.otpMaxTtlSeconds} seconds (OTP_MAX_TTL)`);
    }
    if (input.maxUploadBytes !== undefined && input.method !== 'PUT') throw new DomainError('validation_failed', 'maxUploadBytes applies to upload links only');
    let ranges: string[] | null = null;
    if (input.allowedRanges?.length) {
      const normalized = normalizeAddressRanges(input.allowedRanges);
      if ('invalid' in normalized) throw new DomainError('validation_failed', `not an address or CIDR range: ${normalized.invalid}`);
      ranges = normalized.ranges;
    }
    const expiry = Math.floor(Date.now() / 1000) + input.expiresIn;

    // Within the creator's own rights: the right the link hands on, on that path…
    await this.acl.require(principal, toCanonicalRequestPath(`/file/${input.method === 'GET' ? 'download' : 'upload'}${aclSpecificOf(path) ?? ''}`));
    // …and never longer or from wider addresses than the creator's own limited credentials.
    const excess = limitsExcess({ expiresAt: expiry * 1000, allowedRanges: ranges }, principal.limits ?? []);
    if (excess) {
      throw new DomainError('outside_scope', excess.kind === 'expiry' ? 'the link would outlive your credential' : 'the link would allow addresses your credential does not');
    }
    if (input.method === 'GET') {
      const entry = await this.storage.area(principal.account.id, 'main').stat(path);
      if (entry.type !== 'file') throw new DomainError('conflict', 'a download link names a file, not a folder');
    }

    const link = this.links.create({
      id: randomUUID(),
      keyId: this.signer.currentKeyId,
      accountId: principal.account.id,
      subloginId: principal.sublogin?.id ?? null,
      applicationId: principal.application?.id ?? null,
      method: input.method,
      target,
      path,
      expiresAt: new Date(expiry * 1000),
      allowedRanges: ranges,
      maxUses: input.maxUses ?? null,
      uses: 0,
      maxUploadBytes: input.maxUploadBytes ?? null,
      createdAt: new Date(),
      revokedAt: null,
      lastUsedAt: null,
      lastUsedIp: null,
    });
    await this.links.insert(link);
    const token = formatLinkToken(link.keyId, link.id, expiry, this.signer.sign(link.keyId, signedFieldsOf(link)));
    this.audit.record({ type: 'link.create', outcome: 'success', login: principalLogin(principal), accountId: principal.account.id, detail: { link: link.id, method: link.method, target, path, expiry, maxUses: link.maxUses }, origin: meta });
    return { link, token, url: `${this.config.publicUrl}/link/${token}` };
  }

  /** An account's links (its sublogins' too); a sublogin's own. Newest first, at most 200. */
  async list(principal: Principal): Promise<SignedLink[]> {
    await this.tokensRefused(principal);
    const where = principal.sublogin ? { accountId: principal.account.id, subloginId: principal.sublogin.id } : { accountId: principal.account.id };
    return this.links.find({ where, order: { createdAt: 'DESC' }, take: 200, relations: { sublogin: true } });
  }

  /** Revokes one link: its creator's, or any of the account's for the account. Idempotent. */
  async revoke(principal: Principal, id: string, meta: RequestMeta): Promise<SignedLink> {
    await this.tokensRefused(principal);
    const link = await this.links.findOne({ where: { id, accountId: principal.account.id }, relations: { sublogin: true } });
    if (!link || (principal.sublogin && link.subloginId !== principal.sublogin.id)) throw new DomainError('not_found', 'no such link');
    if (!link.revokedAt) {
      const now = new Date();
      await this.links.update({ id, revokedAt: IsNull() }, { revokedAt: now });
      link.revokedAt = now;
      this.audit.record({ type: 'link.revoke', outcome: 'success', login: principalLogin(principal), accountId: principal.account.id, detail: { link: id }, origin: meta });
    }
    return link;
  }

  /**
   * Links are managed with the user's own rights: an OAuth token (scoped) is refused as it is
   * when creating one (`403 insufficient_scope`: no scope covers `/file/link`).
   */
  private async tokensRefused(principal: Principal): Promise<void> {
    if (principal.scopes !== null) await this.acl.require(principal, '/file/link');
  }

  /**
   * The `link` credential method: the link's principal (its creator, method `link`) and what it
   * may do, or a CredentialRefused naming the one constraint that failed. In this order: the
   * token's form and key id, its MAC (over the row's fields: the token carries only id and
   * expiry), then revoked, expired, address, method and path, the creator's rights, the upload
   * size, and last the use itself (claimed before the answer).
   */
  async verify(req: LinkRequest): Promise<{ principal: Principal; verification: Verification; grant: LinkGrant }> {
    const parsed = parseLinkToken(req.token);
    if (!parsed || !this.signer.knows(parsed.kid)) throw forged();
    const link = await this.load(parsed.id);
    // An unknown id costs the same MAC as a known one, and answers the same.
    const fields: SignedFields = link ? { ...signedFieldsOf(link), expiry: parsed.expiry } : dummyFields(parsed.id, parsed.expiry);
    const valid = this.signer.verify(parsed.kid, fields, parsed.mac);
    if (!link || !valid || link.keyId !== parsed.kid || link.expiresAt.getTime() !== parsed.expiry * 1000) throw forged();

    const { account, sublogin } = link;
    const login = sublogin?.login ?? account.login;
    const refuse = (code: ErrorCode, message: string): CredentialRefused =>
      // Counted in the creator's authentication statistics (never throttled: no secret was guessed).
      new CredentialRefused(new DomainError(code, message), {
        login,
        owner: { id: account.id, login: account.login },
        audit: { type: AUDIT, code, login, accountId: account.id, detail: { link: link.id }, every: 'refusal' },
      });

    if (link.revokedAt) throw refuse('link_revoked', 'this link was revoked');
    const limits: CredentialLimits = { expiresAt: link.expiresAt.getTime(), allowedRanges: link.allowedRanges };
    const limit = limitRefusal(limits, Date.now(), req.meta.ip);
    if (limit) throw refuse(limit, LIMIT_MESSAGES[limit]);

    let path = link.path;
    if (req.method !== link.method || (req.below === undefined) !== (link.target === 'file')) throw refuse('outside_scope', `this link allows ${linkAllows(link)}`);
    if (req.below !== undefined) {
      path = canonicalStoragePathOrNull(`${link.path}/${req.below}`) ?? '';
      if (!linkCovers(link, path)) throw refuse('outside_scope', `this link allows ${linkAllows(link)}`);
    }

    // The creator's rights now, not when the link was made.
    const principal: Principal = {
      method: 'link',
      account: { id: account.id, login: account.login, role: account.role },
      sublogin: sublogin ? { id: sublogin.id, login: sublogin.login, name: sublogin.name } : null,
      application: null,
      scopes: null,
    };
    const subloginExpired = sublogin?.expiresAt != null && sublogin.expiresAt <= Date.now();
    if (account.status !== 'active' || (sublogin && (!sublogin.enabled || subloginExpired))) throw refuse('link_revoked', 'the link’s creator can no longer do this');
    const decision = await this.acl.decide(principal, toCanonicalRequestPath(`/file/${link.method === 'GET' ? 'download' : 'upload'}${aclSpecificOf(path) ?? ''}`));
    if (!decision.allowed) throw refuse('link_revoked', 'the link’s creator can no longer do this');

    if (link.maxUploadBytes !== null && req.contentLength !== undefined && req.contentLength > link.maxUploadBytes) {
      throw refuse('payload_too_large', `this link accepts at most ${link.maxUploadBytes} bytes`);
    }
    if (!(await this.claimUse(link, req.meta.ip))) throw refuse('link_used', 'this link has been used up');

    return {
      principal,
      verification: { audit: { type: AUDIT, login, detail: { link: link.id, method: link.method, path } } },
      grant: { id: link.id, method: link.method, path, maxUploadBytes: link.maxUploadBytes },
    };
  }

  /**
   * A link with its creator, in one plain query: TypeORM's query builder and entity mapping cost
   * more CPU than the rest of a link's download together (bench/README.md, issue 20).
   */
  private async load(id: string): Promise<LoadedLink | null> {
    const [sql, params] = this.links.manager.connection.driver.escapeQueryWithParameters(LOAD_LINK, { id });
    const rows = (await this.links.query(sql, params)) as Record<string, unknown>[];
    const r = rows[0];
    if (!r) return null;
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return {
      id: String(r.id),
      keyId: String(r.key_id),
      method: r.method as LinkMethod,
      target: r.target as LinkTarget,
      path: String(r.path),
      expiresAt: new Date(Number(r.expires_at)),
      allowedRanges: typeof r.allowed_ranges === 'string' && r.allowed_ranges ? r.allowed_ranges.split(',') : null,
      maxUses: num(r.max_uses),
      uses: Number(r.uses),
      maxUploadBytes: num(r.max_upload_bytes),
      revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : new Date(Number(r.revoked_at)),
      account: { id: String(r.account_id), login: String(r.a_login), role: r.a_role as AccountRole, status: String(r.a_status) },
      sublogin: r.sublogin_id ? { id: String(r.sublogin_id), login: String(r.s_login), name: String(r.s_name), enabled: r.s_enabled === true || r.s_enabled === 1 || r.s_enabled === '1', expiresAt: num(r.s_expires_at) } : null,
    };
  }

  private pendingUses = new Map<string, PendingUses>();
  private flushTimer: NodeJS.Timeout | undefined;

  /**
   * A link without a use limit decides nothing by its count, so its uses are added up in memory
   * and written once a second: one UPDATE per link, not a write transaction per download
   * (bench/README.md, issue 20). A crash loses at most a second of counts; each use is still
   * audited and in the statistics.
   */
  private countLater(id: string, ip: string): void {
    const pending = this.pendingUses.get(id);
    if (pending) {
      pending.count++;
      pending.at = new Date();
      pending.ip = ip;
    } else this.pendingUses.set(id, { count: 1, at: new Date(), ip });
    this.flushTimer ??= setTimeout(() => void this.flushUses(), 1_000).unref();
  }

  /** Writes the counted uses (also when the server closes: LinksModule). */
  async flushUses(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pendingUses;
    this.pendingUses = new Map();
    for (const [id, { count, at, ip }] of batch) {
      await this.links
        .createQueryBuilder()
        .update(SignedLink)
        .set({ uses: () => `uses + ${count}`, lastUsedAt: at, lastUsedIp: ip })
        .where('id = :id', { id })
        .execute()
        .catch(() => undefined);
    }
  }

  /**
   * Counts the use; false when none is left. Single use claims through the OTP replay store (a
   * Redis SET NX across instances, and a durable database record, before the answer); a larger
   * maximum through one conditional UPDATE, which the database serialises.
   */
  private async claimUse(link: LoadedLink, ip: string): Promise<boolean> {
    const qb = this.links.createQueryBuilder().update(SignedLink).set({ uses: () => 'uses + 1', lastUsedAt: new Date(), lastUsedIp: ip });
    if (link.maxUses === 1) {
      if (!(await this.replay.claim(sha256Hex(`signed-link:${link.id}`), link.expiresAt))) return false;
      await qb.where('id = :id', { id: link.id }).execute();
      return true;
    }
    if (link.maxUses === null) {
      this.countLater(link.id, ip);
      return true;
    }
    const result = await qb.where('id = :id AND uses < max_uses', { id: link.id }).execute();
    return (result.affected ?? 0) > 0;
  }
}

const LOAD_LINK = `SELECT l.id, l.key_id, l.account_id, l.sublogin_id, l.method, l.target, l.path, l.expires_at, l.allowed_ranges, l.max_uses, l.uses,
  l.max_upload_bytes, l.revoked_at, a.login AS a_login, a.role AS a_role, a.status AS a_status,
  s.login AS s_login, s.name AS s_name, s.enabled AS s_enabled, s.expires_at AS s_expires_at
FROM signed_links l JOIN accounts a ON a.id = l.account_id LEFT JOIN sublogins s ON s.id = l.sublogin_id
WHERE l.id = :id`;

/** A link as a use needs it: what its MAC covers, its state, and its creator's. */
type LoadedLink = Pick<SignedLink, 'id' | 'keyId' | 'method' | 'target' | 'path' | 'expiresAt' | 'allowedRanges' | 'maxUses' | 'uses' | 'maxUploadBytes' | 'revokedAt'> & {
  account: { id: string; login: string; role: AccountRole; status: string };
  /** `expiresAt` in epoch ms. */
  sublogin: { id: string; login: string; name: string; enabled: boolean; expiresAt: number | null } | null;
};

/** Uses of unlimited links not yet written: per link, how many, and the last one's time and address. */
interface PendingUses {
  count: number;
  at: Date;
  ip: string;
}

/** The fields a link's MAC covers, as its row holds them. */
export function signedFieldsOf(link: Pick<SignedLink, 'id' | 'method' | 'target' | 'path' | 'expiresAt' | 'allowedRanges' | 'maxUses' | 'maxUploadBytes'>): SignedFields {
  return {
    id: link.id,
    method: link.method,
    target: link.target,
    path: link.path,
    expiry: Math.floor(link.expiresAt.getTime() / 1000),
    allowedRanges: link.allowedRanges,
    maxUses: link.maxUses,
    maxUploadBytes: link.maxUploadBytes,
  };
}

function dummyFields(id: string, expiry: number): SignedFields {
  return { id, method: 'GET', target: 'file', path: '/', expiry, allowedRanges: null, maxUses: null, maxUploadBytes: null };
}

export function linkAllows(link: Pick<SignedLink, 'method' | 'target' | 'path'>): string {
  if (link.method === 'GET') return `GET of ${link.path}`;
  return link.target === 'file' ? `PUT of ${link.path}` : `PUT of a file below ${link.path || '/'}/`;
}

/** Forged, altered, truncated, of an unknown key or link: all one answer, audited at most once a minute. */
function forged(): CredentialRefused {
  return new CredentialRefused(new DomainError('invalid_credentials', 'this link is not valid'), {
    login: null,
    audit: { type: AUDIT, code: 'invalid_credentials', login: null, accountId: null, every: { minute: 'link.invalid' } },
  });
}

/** A storage path in the canonical form links hold (`/a/b.txt`, the root ``), or `400 path_invalid`. */
export function canonicalStoragePath(raw: string): string {
  const base = '/file/x';
  return toCanonicalRequestPath(`${base}${aclSpecificOf(raw) ?? ''}`).slice(base.length);
}

function canonicalStoragePathOrNull(raw: string): string | null {
  try {
    return canonicalStoragePath(raw);
  } catch {
    return null;
  }
}
