import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConnectionService } from '../accounts/app-connection.service.js';
import { AppPasswordService } from '../accounts/app-password.service.js';
import type { RuleProblem } from '../acl/rule-set.js';
import { AuditService } from '../audit/audit.service.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { SessionsService } from '../auth/sessions.service.js';
import { DomainError } from '../errors/domain-error.js';
import { appPasswordSpec } from '../mypage/app-password-input.js';
import { RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { parseRuleLines, type ParsedRuleLines } from './core/rule-lines.js';
import { type FormBody, formFields, lines } from './forms.js';
import { noticeText } from './notices.js';
import { appPasswordsPage, type AppPasswordsView } from './views/app-passwords.view.js';
import { viewerOf, WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

const uuid = new ParseUUIDPipe({ version: '4' });

/**
 * `/mypage/app-passwords` (contract §4.2): list, issue (the password shown once) and revoke app
 * passwords, by form posts to the same service and input check as `/api/me/app-passwords`, with
 * the same audit records.
 */
@WebPages()
@Auth('session')
@Controller('mypage/app-passwords')
export class AppPasswordPagesController {
  constructor(
    private readonly appPasswords: AppPasswordService,
    private readonly connections: AppConnectionService,
    private readonly audit: AuditService,
    private readonly sessions: SessionsService,
  ) {}

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query('notice') notice: unknown): Promise<WebResult> {
    return new Page(await this.page(p, { notice: noticeText(notice) }));
  }

  // The one page route that issues an app password (besides the connection's enable/reissue).
  @Post()
  @RecentSecondFactor()
  @HttpCode(201)
  async create(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    const again = async (problems: string[]) => new Page(await this.page(p, { form: { name: f.name, expiresAt: f.expiresAt, ranges: f.ranges, rules: f.rules, problems } }), 400);
    const parsed = parseRuleLines(f.rules ?? '');
    if (parsed.problems.length) return again(parsed.problems.map((x) => `Line ${x.line} of the rules (${x.text}): ${x.reason}.`));
    let created;
    try {
      // The form's datetime-local has no zone: it is read as UTC, as the page says.
      const expiresAt = f.expiresAt ? `${f.expiresAt}${/[zZ]|[+-]\d\d:\d\d$/.test(f.expiresAt) ? '' : 'Z'}` : null;
      const spec = appPasswordSpec({ name: f.name ?? '', expiresAt, allowedRanges: lines(f.ranges?.replaceAll(',', '\n')), rules: parsed.rules.length ? parsed.rules : null });
      created = await this.appPasswords.create(p.account, spec);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'acl_rule_invalid') return again(ruleErrors(err, parsed));
      if (err instanceof DomainError && ['validation_failed', 'conflict', 'app_connection_conflict'].includes(err.code)) return again([`${err.message}.`]);
      throw err;
    }
    const { appPassword, password } = created;
    this.audit.record({
      type: 'me.app-password.create',
      outcome: 'info',
      login: p.account.login,
      accountId: p.account.id,
      detail: { id: appPassword.id, name: appPassword.name, expiresAt: appPassword.expiresAt?.toISOString() ?? null, ranges: appPassword.allowedRanges?.length ?? 0, rules: parsed.rules.length || null },
      origin: requestMeta(req),
    });
    return new Page(await this.page(p, { created: { name: appPassword.name, password } }), 201);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  async revoke(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    const revoked = await this.appPasswords.revoke(p.account, id);
    this.audit.record({ type: 'me.app-password.revoke', outcome: 'info', login: p.account.login, accountId: p.account.id, detail: { id, name: revoked.name }, origin: requestMeta(req) });
    return new SeeOther('/mypage/app-passwords?notice=app-password-revoked');
  }

  private async page(p: Principal, extra: Partial<AppPasswordsView>) {
    const [connection, items] = await Promise.all([this.connections.get(p.account.id), this.appPasswords.list(p.account.id)]);
    return appPasswordsPage({ viewer: viewerOf(p, this.sessions), connection, items, ...extra });
  }
}

/** The rule-set check's complaints (by rule index) as line numbers of the text the customer wrote. */
function ruleErrors(err: DomainError, parsed: ParsedRuleLines): string[] {
  if (!Array.isArray(err.details)) return [err.message];
  return (err.details as RuleProblem[]).map((d) => `Line ${parsed.lines[d.index] ?? '?'} of the rules (${d.path}): ${d.reason.replaceAll('_', ' ')}.`);
}
