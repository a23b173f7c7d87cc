import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { SessionsService } from '../auth/sessions.service.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { LinksService, type NewLink } from '../links/links.service.js';
import { type FormBody, formFields, lines } from './forms.js';
import { noticeText } from './notices.js';
import { linksPage, type LinksView, scopeText } from './views/links.view.js';
import { viewerOf, WebPages } from './web-pages.decorator.js';
import { Page, SeeOther, type WebResult } from './web-result.js';

const uuid = new ParseUUIDPipe({ version: '4' });
/** Refusals the form shows beside its fields rather than as an error page. */
const FORM_ERRORS = new Set(['validation_failed', 'path_invalid', 'path_escape', 'path_too_long', 'not_found', 'conflict', 'acl_denied', 'outside_scope']);

/**
 * `/mypage/links` (contract §4.8): the account's signed links and its sublogins', created through
 * the same service, checks and audit records as `POST /api/file/links`; the URL is shown once.
 */
@WebPages()
@Auth('session')
@Controller('mypage/links')
export class LinkPagesController {
  constructor(
    private readonly links: LinksService,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query('notice') notice: unknown): Promise<WebResult> {
    return new Page(await this.page(p, { notice: noticeText(notice) }));
  }

  @Post()
  @HttpCode(201)
  async create(@CurrentPrincipal() p: Principal, @Body() body: FormBody, @Req() req: FastifyRequest): Promise<WebResult> {
    const f = formFields(body);
    const again = async (problems: string[]) => new Page(await this.page(p, { form: { fields: f, problems } }), 400);
    const number = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : Number(v));
    const kind = f.kind ?? 'download';
    if (!['download', 'upload', 'upload-below'].includes(kind)) return again(['Choose what the link allows.']);
    const input: NewLink = {
      method: kind === 'download' ? 'GET' : 'PUT',
      target: kind === 'upload-below' ? 'prefix' : 'file',
      path: f.path ?? '',
      expiresIn: number(f.expiresIn) ?? NaN,
      allowedRanges: lines(f.ranges?.replaceAll(',', '\n')),
      maxUses: number(f.maxUses),
      maxUploadBytes: kind === 'download' ? undefined : number(f.maxUploadBytes),
    };
    for (const [name, value] of [['Uses', input.maxUses], ['Largest upload', input.maxUploadBytes]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) return again([`${name} must be a whole number of at least 1.`]);
    }
    if (input.maxUses !== undefined && input.maxUses > 1_000_000) return again(['Uses must be at most 1,000,000.']);
    try {
      const { link, url } = await this.links.create(p, input, requestMeta(req));
      return new Page(await this.page(p, { created: { url, what: scopeText(link) } }), 201);
    } catch (err) {
      if (err instanceof DomainError && FORM_ERRORS.has(err.code)) return again([`${err.message}.`]);
      throw err;
    }
  }

  @Post(':id/revoke')
  @HttpCode(200)
  async revoke(@Param('id', uuid) id: string, @CurrentPrincipal() p: Principal, @Req() req: FastifyRequest): Promise<WebResult> {
    await this.links.revoke(p, id, requestMeta(req));
    return new SeeOther('/mypage/links?notice=link-revoked');
  }

  private async page(p: Principal, extra: Partial<LinksView>) {
    return linksPage({ viewer: viewerOf(p, this.sessions), items: await this.links.list(p), maxTtlSeconds: this.config.otpMaxTtlSeconds, ...extra });
  }
}
