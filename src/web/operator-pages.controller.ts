import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AccountStatus } from '../accounts/account.entity.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import { CreateAccountDto } from '../admin/dto/account.dto.js';
import { AuditQueryDto } from '../admin/dto/audit.dto.js';
import { ApplicationsService } from '../api-keys/applications.service.js';
import type { ReviewAction } from '../api-keys/core/application-lifecycle.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuditOutcome } from '../audit/audit-event.entity.js';
import { AdminAuth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { SessionsService } from '../auth/sessions.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { MAX_QUOTA_BYTES } from '../admin/dto/quota.dto.js';
import { StorageQuotaService } from '../storage/storage-quota.service.js';
import { parseQuotaInput } from './core/quota-input.js';
import { type FormBody, formFields, validateAs } from './forms.js';
import { noticeText } from './notices.js';
import {
  APPLICATION_FILTERS,
  type ApplicationFilter,
  type AuditFilter,
  operatorAccountsPage,
  type OperatorAccountsView,
  operatorApplicationsPage,
  operatorAuditPage,
  operatorLegacyPage,
} from './views/operator.view.js';
import { viewerOf, WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

const uuid = new ParseUUIDPipe({ version: '4' });
const PAGE_SIZE = 50;
const AUDIT_PAGE = 100;

function offsetOf(raw: unknown): number {
  return typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
}

function filterOf(raw: unknown): ApplicationFilter {
  return typeof raw === 'string' && (APPLICATION_FILTERS as readonly string[]).includes(raw) ? (raw as ApplicationFilter) : 'pending';
}

/** `2025-01-31T10:00` from a datetime-local field is meant as UTC, as the form says. */
function utc(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value) ? `${value}Z` : value;
}

/**
 * Operator pages (contract §7): the review queue, accounts (create, import with registeredAt,
 * suspend), the audit log with filters, and the legacy-cutoff view. The same services and audit
 * records as `/api/admin`.
 */
@WebPages()
@AdminAuth()
@Controller('operator')
export class OperatorPagesController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly accounts: AccountsService,
    private readonly audit: AuditService,
    private readonly connections: AppConnectionService,
    private readonly sessions: SessionsService,
    private readonly quotas: StorageQuotaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  home(): WebResult {
    return new SeeOther('/operator/applications');
  }

  @Get('applications')
  async applicationList(@CurrentPrincipal() p: Principal, @Query('status') status: unknown, @Query('offset') offset: unknown, @Query('notice') notice: unknown): Promise<WebResult> {
    const filter = filterOf(status);
    const start = offsetOf(offset);
    const { items, total } = await this.applications.list(start, PAGE_SIZE, filter === 'all' ? undefined : filter);
    const [keys, owners] = await Promise.all([this.applications.activeKeys(items.map((a) => a.id)), this.applications.owners(items.map((a) => a.ownerAccountId))]);
    return new Page(
      operatorApplicationsPage({ viewer: viewerOf(p, this.sessions), filter, apps: items, keys, owners, total, offset: start, limit: PAGE_SIZE, notice: noticeText(notice) }),
    );
  }

  @Post('applications/:id/approve')
  approve(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.review(id, 'approve', p, body, req);
  }

  @Post('applications/:id/reject')
  reject(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.review(id, 'reject', p, body, req);
  }

  @Post('applications/:id/revoke')
  revoke(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.review(id, 'revoke', p, body, req);
  }

  @Get('accounts')
  async accountList(@CurrentPrincipal() p: Principal, @Query('status') status: unknown, @Query('offset') offset: unknown, @Query('notice') notice: unknown): Promise<WebResult> {
    return new Page(await this.accountsPage(p, status, offsetOf(offset), { notice: noticeText(notice) }));
  }

  @Post('accounts')
  async createAccount(@CurrentPrincipal() operator: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    const { password: _password, ...values } = f;
    const again = async (problems: string[]) => new Page(await this.accountsPage(operator, undefined, 0, { form: { values, problems } }), 400);
    const input = await validateAs(CreateAccountDto, { login: f.login?.trim(), password: f.password, email: f.email?.trim(), role: f.role, registeredAt: f.registeredAt?.trim() || undefined });
    if (!input.ok) return again(input.problems);
    const dto = input.value;
    let account;
    try {
      account = await this.accounts.create({ ...dto, registeredAt: dto.registeredAt ? new Date(dto.registeredAt) : undefined });
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'login_taken' || err.code === 'validation_failed')) return again([`${err.message}.`]);
      throw err;
    }
    // As AdminAccountsController.create records it.
    this.audit.record({ type: 'admin.account.create', outcome: 'info', login: account.login, accountId: account.id, actor: operator.account.login, detail: { role: account.role, registeredAt: account.registeredAt.toISOString() }, origin: requestMeta(req) });
    return new SeeOther('/operator/accounts?notice=account-created');
  }

  @Post('accounts/:id/suspend')
  suspend(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.setStatus(id, 'suspended', operator, req);
  }

  @Post('accounts/:id/unsuspend')
  unsuspend(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.setStatus(id, 'active', operator, req);
  }

  /** As `PUT`/`DELETE /api/admin/accounts/{id}/quota`: empty field = the default, `unlimited`, or a size. */
  @Post('accounts/:id/quota')
  async setQuota(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const value = formFields(body).quota ?? '';
    const account = await this.accounts.get(id);
    const setting = parseQuotaInput(value, MAX_QUOTA_BYTES);
    if (typeof setting === 'string') return new Page(await this.accountsPage(operator, undefined, 0, { quotaForm: { accountId: id, value, problems: [setting] } }), 400);
    await this.quotas.setSetting(id, setting);
    // As AdminAccountsController.setQuota / resetQuota record it.
    this.audit.record({ type: 'admin.account.quota', outcome: 'info', login: account.login, accountId: id, actor: operator.account.login, detail: setting.kind === 'bytes' ? { setting: 'bytes', bytes: setting.bytes } : { setting: setting.kind }, origin: requestMeta(req) });
    return new SeeOther('/operator/accounts?notice=quota-saved');
  }

  @Get('audit')
  async auditLog(@CurrentPrincipal() p: Principal, @Query() query: FormBody): Promise<WebResult> {
    const q = formFields(query);
    const filter: AuditFilter = { login: q.login?.trim(), type: q.type?.trim(), outcome: q.outcome, from: q.from, to: q.to };
    const viewer = viewerOf(p, this.sessions);
    // The API's own query DTO checks the filters; the outcome filter is the page's addition.
    const input = await validateAs(AuditQueryDto, { login: filter.login || undefined, type: filter.type || undefined, from: utc(filter.from), to: utc(filter.to), beforeId: q.beforeId, limit: String(AUDIT_PAGE) });
    const outcome = (['success', 'failure', 'info'] as const).find((o) => o === filter.outcome);
    if (!input.ok || (filter.outcome && !outcome)) {
      const problems = input.ok ? ['outcome must be success, failure or info'] : input.problems;
      return new Page(operatorAuditPage({ viewer, filter, events: [], limit: AUDIT_PAGE, problems }), 400);
    }
    const v = input.value;
    const events = await this.audit.query({
      login: v.login,
      type: v.type,
      outcome: outcome as AuditOutcome | undefined,
      from: v.from ? new Date(v.from) : undefined,
      to: v.to ? new Date(v.to) : undefined,
      beforeId: v.beforeId,
      limit: AUDIT_PAGE,
    });
    return new Page(operatorAuditPage({ viewer, filter, events, limit: AUDIT_PAGE }));
  }

  @Get('legacy')
  async legacyCutoff(@CurrentPrincipal() p: Principal, @Query('offset') offset: unknown): Promise<WebResult> {
    const start = offsetOf(offset);
    const { items, total } = await this.connections.listLegacy(start, PAGE_SIZE);
    return new Page(operatorLegacyPage({ viewer: viewerOf(p, this.sessions), rows: items, total, offset: start, limit: PAGE_SIZE, legacyCutoff: this.config.legacyBasicCutoff }));
  }

  private async review(id: string, action: ReviewAction, operator: Principal, body: FormBody, req: FastifyRequest): Promise<WebResult> {
    await this.applications.review(operator, id, action, requestMeta(req));
    const view = filterOf(formFields(body).view);
    const notice = { approve: 'app-approved', reject: 'app-rejected', revoke: 'app-revoked' }[action];
    return new SeeOther(`/operator/applications?status=${view}&notice=${notice}`);
  }

  private async setStatus(id: string, status: AccountStatus, operator: Principal, req: FastifyRequest): Promise<WebResult> {
    if (id === operator.account.id && status === 'suspended') throw new DomainError('conflict', 'you cannot suspend your own account');
    const account = await this.accounts.setStatus(id, status);
    // As AdminAccountsController.setStatus records it.
    this.audit.record({ type: `admin.account.${status === 'active' ? 'unsuspend' : 'suspend'}`, outcome: 'info', login: account.login, accountId: account.id, actor: operator.account.login, origin: requestMeta(req) });
    return new SeeOther(`/operator/accounts?notice=account-${status === 'active' ? 'unsuspended' : 'suspended'}`);
  }

  private async accountsPage(p: Principal, status: unknown, offset: number, extra: Partial<OperatorAccountsView>) {
    const s = status === 'active' || status === 'suspended' ? status : undefined;
    const { items, total } = await this.accounts.list(offset, PAGE_SIZE, s);
    const ids = items.map((a) => a.id);
    const [quotas, usage] = await Promise.all([this.quotas.settings(ids), this.quotas.knownUsage(ids)]);
    return operatorAccountsPage({
      viewer: viewerOf(p, this.sessions),
      accounts: items,
      total,
      offset,
      limit: PAGE_SIZE,
      status: s,
      legacyCutoff: this.config.legacyBasicCutoff,
      quotas,
      usage,
      defaultQuotaBytes: this.quotas.defaultQuotaBytes,
      ...extra,
    });
  }
}
