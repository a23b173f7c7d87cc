import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AclService } from '../acl/acl.service.js';
import type { RuleProblem } from '../acl/rule-set.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { SessionsService } from '../auth/sessions.service.js';
import { DomainError } from '../errors/domain-error.js';
import { CreateSubloginDto } from '../sublogins/dto/sublogin.dto.js';
import { SubloginsService } from '../sublogins/sublogins.service.js';
import { RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { formatRuleLines, parseRuleLines, type ParsedRuleLines } from './core/rule-lines.js';
import { type FormBody, formFields, formLimits, validateAs } from './forms.js';
import { noticeText } from './notices.js';
import { subloginDetailPage, type SubloginDetailView, subloginListPage } from './views/sublogins.view.js';
import { viewerOf, WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

const PAGE_SIZE = 50;

/**
 * The customer's sublogins in the browser (contract §6, §7): list, create (a generated password is
 * shown once), enable/disable, new password, delete, the rule editor (one rule per line) and
 * "explain this path" — the same SubloginsService and AclService.explain as `/api/sublogin`.
 * Sessions belong to full logins, so the ACL's `/sublogin/...` rules have nothing to decide here,
 * and the service's limits on sublogins and tokens managing sublogins (SubloginsService.target)
 * let every action through; they are the same service calls, so those limits would apply.
 */
@WebPages()
@Auth('session')
@Controller('mypage/sublogins')
export class SubloginPagesController {
  constructor(
    private readonly sublogins: SubloginsService,
    private readonly acl: AclService,
    private readonly sessions: SessionsService,
  ) {}

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query('offset') offset: unknown, @Query('notice') notice: unknown): Promise<WebResult> {
    const start = typeof offset === 'string' && /^\d{1,9}$/.test(offset) ? Number(offset) : 0;
    return new Page(await this.listPage(p, start, { notice: noticeText(notice) }));
  }

  @Post()
  @HttpCode(201)
  @RecentSecondFactor()
  async create(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    const again = async (problems: string[]) => new Page(await this.listPage(p, 0, { form: { name: f.name, rules: f.rules, expiresAt: f.expiresAt, allowedRanges: f.allowedRanges, problems } }), 400);
    const input = await validateAs(CreateSubloginDto, { name: f.name, password: f.password });
    if (!input.ok) return again(input.problems);
    const parsed = parseRuleLines(f.rules ?? '');
    if (parsed.problems.length) return again(lineProblems(parsed));
    let created;
    try {
      created = await this.sublogins.create({ principal: p, origin: requestMeta(req) }, { name: input.value.name, password: input.value.password, rules: parsed.rules, ...formLimits(f) });
    } catch (err) {
      const problems = ruleErrors(err, parsed) ?? formErrors(err);
      if (problems) return again(problems);
      throw err;
    }
    if (!created.generatedPassword) return new SeeOther(`/mypage/sublogins/${created.sublogin.name}?notice=sublogin-created`);
    return new Page(await this.detailPage(p, created.sublogin.name, { newPassword: created.generatedPassword }), 201);
  }

  @Get(':name')
  async detail(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Query('path') path: unknown, @Query('notice') notice: unknown): Promise<WebResult> {
    let explain: SubloginDetailView['explain'];
    if (typeof path === 'string' && path !== '') {
      try {
        explain = { path, decision: await this.acl.explain(p.account.id, name, path) };
      } catch (err) {
        if (!(err instanceof DomainError) || err.code !== 'path_invalid') throw err;
        explain = { path, problem: `That is not a path a request could use: ${err.message}.` };
      }
    }
    return new Page(await this.detailPage(p, name, { explain, notice: noticeText(notice) }));
  }

  @Post(':name/enable')
  async enable(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Req() req: FastifyRequest): Promise<WebResult> {
    await this.sublogins.update({ principal: p, origin: requestMeta(req) }, name, { enabled: true });
    return new SeeOther(`/mypage/sublogins/${name}?notice=sublogin-enabled`);
  }

  @Post(':name/disable')
  async disable(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Req() req: FastifyRequest): Promise<WebResult> {
    await this.sublogins.update({ principal: p, origin: requestMeta(req) }, name, { enabled: false });
    return new SeeOther(`/mypage/sublogins/${name}?notice=sublogin-disabled`);
  }

  @Post(':name/password')
  @HttpCode(200)
  async newPassword(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Req() req: FastifyRequest): Promise<WebResult> {
    const { generatedPassword } = await this.sublogins.update({ principal: p, origin: requestMeta(req) }, name, { generatePassword: true });
    return new Page(await this.detailPage(p, name, { newPassword: generatedPassword }));
  }

  @Post(':name/limits')
  @RecentSecondFactor() // it may widen where and until when the sublogin works, as its rules do
  async limits(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    try {
      await this.sublogins.update({ principal: p, origin: requestMeta(req) }, name, formLimits(f));
    } catch (err) {
      const problems = formErrors(err);
      if (problems) return new Page(await this.detailPage(p, name, { limitsForm: { expiresAt: f.expiresAt, allowedRanges: f.allowedRanges, problems } }), 400);
      throw err;
    }
    return new SeeOther(`/mypage/sublogins/${name}?notice=limits-saved#limits`);
  }

  @Post(':name/rules')
  @RecentSecondFactor()
  async replaceRules(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const text = typeof body?.rules === 'string' ? body.rules : '';
    const parsed = parseRuleLines(text);
    const again = async (problems: string[]) => new Page(await this.detailPage(p, name, { rulesText: text, ruleProblems: problems }), 400);
    if (parsed.problems.length) return again(lineProblems(parsed));
    try {
      await this.sublogins.replaceRules({ principal: p, origin: requestMeta(req) }, name, parsed.rules);
    } catch (err) {
      const problems = ruleErrors(err, parsed);
      if (problems) return again(problems);
      throw err;
    }
    return new SeeOther(`/mypage/sublogins/${name}?notice=rules-saved#rules`);
  }

  @Post(':name/delete')
  async remove(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    if (formFields(body).confirm !== 'yes') throw new DomainError('validation_failed', 'tick the box to confirm the deletion');
    await this.sublogins.delete({ principal: p, origin: requestMeta(req) }, name);
    return new SeeOther('/mypage/sublogins?notice=sublogin-deleted');
  }

  private async listPage(p: Principal, offset: number, extra: { notice?: string | null; form?: { name?: string; rules?: string; expiresAt?: string; allowedRanges?: string; problems: string[] } }) {
    const { items, total } = await this.sublogins.list(p.account.id, offset, PAGE_SIZE);
    return subloginListPage({ viewer: viewerOf(p, this.sessions), customerLogin: p.account.login, items, total, offset, limit: PAGE_SIZE, ...extra });
  }

  private async detailPage(p: Principal, name: string, extra: Partial<SubloginDetailView>) {
    const sublogin = await this.sublogins.get(p.account.id, name);
    const rules = await this.sublogins.getRules({ principal: p }, name);
    return subloginDetailPage({ viewer: viewerOf(p, this.sessions), sublogin, rulesText: formatRuleLines(rules), ruleCount: rules.length, ...extra });
  }
}

function lineProblems(parsed: ParsedRuleLines): string[] {
  return parsed.problems.map((x) => `Line ${x.line} (${x.text}): ${x.reason}.`);
}

/** The rule-set check's complaints (by rule index) as line numbers of the text the customer wrote. */
function ruleErrors(err: unknown, parsed: ParsedRuleLines): string[] | null {
  if (!(err instanceof DomainError) || err.code !== 'acl_rule_invalid') return null;
  if (!Array.isArray(err.details)) return [err.message];
  return (err.details as RuleProblem[]).map((d) => {
    const conflict = /^conflicts_with_rule_(\d+)$/.exec(d.reason);
    const reason = conflict ? `the same path is also on line ${parsed.lines[Number(conflict[1])] ?? '?'} with the other effect` : d.reason.replaceAll('_', ' ');
    return `Line ${parsed.lines[d.index] ?? '?'} (${d.path}): ${reason}.`;
  });
}

function formErrors(err: unknown): string[] | null {
  if (err instanceof DomainError && (err.code === 'login_taken' || err.code === 'validation_failed')) return [`${err.message}.`];
  return null;
}
