import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApplicationsService } from '../api-keys/applications.service.js';
import { RegisterApplicationDto } from '../api-keys/dto/application.dto.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { SessionsService } from '../auth/sessions.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import { type FormBody, formFields, formLimits, lines, validateAs } from './forms.js';
import { noticeText } from './notices.js';
import { developerDetailPage, type DeveloperDetailView, developerListPage, type DeveloperListView } from './views/developer.view.js';
import { viewerOf, WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

const uuid = new ParseUUIDPipe({ version: '4' });

/** A developer's applications in the browser (contract §4.3, §7): register, follow the review, fetch and rotate the key. */
@WebPages()
@Auth('session')
@Controller('developer')
export class DeveloperPagesController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query('notice') notice: unknown): Promise<WebResult> {
    return new Page(await this.listPage(p, { notice: noticeText(notice) }));
  }

  @Post('apps')
  async register(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    const redirectUris = lines(f.redirectUris);
    // The API's own DTO: a page registers exactly what `POST /api/apps` would.
    const input = await validateAs(RegisterApplicationDto, {
      name: f.name?.trim(),
      description: f.description?.trim(),
      homepage: f.homepage?.trim() || undefined,
      ...(redirectUris.length ? { redirectUris } : {}),
    });
    const again = async (problems: string[]) => new Page(await this.listPage(p, { form: { values: f, problems } }), 400);
    if (!input.ok) return again(input.problems);
    try {
      const app = await this.applications.register(p, input.value, requestMeta(req));
      return new SeeOther(`/developer/apps/${app.id}?notice=app-registered`);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'conflict') return again([`${err.message}.`]);
      throw err;
    }
  }

  @Get('apps/:id')
  async detail(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string, @Query('notice') notice: unknown): Promise<WebResult> {
    return new Page(await this.detailPage(p, id, { notice: noticeText(notice) }));
  }

  @Post('apps/:id/key')
  @HttpCode(200)
  issue(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.issueKey(p, id, 'first', req);
  }

  @Post('apps/:id/key/rotate')
  @RecentSecondFactor()
  @HttpCode(200)
  rotate(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string, @Req() req: FastifyRequest): Promise<WebResult> {
    return this.issueKey(p, id, 'rotate', req);
  }

  @Post('apps/:id/key/limits')
  @RecentSecondFactor() // it may widen where and until when the key works
  async limits(@CurrentPrincipal() p: Principal, @Param('id', uuid) id: string, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    try {
      await this.applications.updateKeyLimits(p, id, formLimits(f), requestMeta(req));
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'validation_failed') throw err;
      return new Page(await this.detailPage(p, id, { limitsForm: { expiresAt: f.expiresAt, allowedRanges: f.allowedRanges, problems: [`${err.message}.`] } }), 400);
    }
    return new SeeOther(`/developer/apps/${id}?notice=key-limits-saved#key-limits`);
  }

  /** The key is shown in this answer only (the server keeps a keyed hash). */
  private async issueKey(p: Principal, id: string, mode: 'first' | 'rotate', req: FastifyRequest): Promise<WebResult> {
    const { key } = await this.applications.issueKey(p, id, mode, requestMeta(req));
    return new Page(await this.detailPage(p, id, { newKey: key }));
  }

  private async listPage(p: Principal, extra: Partial<DeveloperListView>) {
    const apps = await this.applications.listOwn(p.account.id);
    const keys = await this.applications.activeKeys(apps.map((a) => a.id));
    return developerListPage({ viewer: viewerOf(p, this.sessions), apps, keys, ...extra });
  }

  private async detailPage(p: Principal, id: string, extra: Partial<DeveloperDetailView>) {
    const app = await this.applications.getOwn(p.account.id, id);
    const key = (await this.applications.activeKeys([id])).get(id);
    return developerDetailPage({ viewer: viewerOf(p, this.sessions), app, key, publicUrl: this.config.publicUrl, ...extra });
  }
}
