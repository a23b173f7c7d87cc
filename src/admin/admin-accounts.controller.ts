import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AccountStatus } from '../accounts/account.entity.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { AuditService } from '../audit/audit.service.js';
import { AdminAuth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { StorageQuotaService } from '../storage/storage-quota.service.js';
import { AccountDto, AccountListQueryDto, AccountPageDto, CreateAccountDto } from './dto/account.dto.js';
import { AccountQuotaDto, SetQuotaDto, settingOfBody } from './dto/quota.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('admin')
@AdminAuth()
@Controller('api/admin/accounts')
export class AdminAccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly audit: AuditService,
    private readonly quotas: StorageQuotaService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an account (set registeredAt when importing)' })
  @ApiCreatedResponse({ type: AccountDto })
  async create(@Body() body: CreateAccountDto, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<AccountDto> {
    const account = await this.accounts.create({ ...body, registeredAt: body.registeredAt ? new Date(body.registeredAt) : undefined });
    this.audit.record({ type: 'admin.account.create', outcome: 'info', login: account.login, accountId: account.id, actor: operator.account.login, detail: { role: account.role, registeredAt: account.registeredAt.toISOString() }, origin: requestMeta(req) });
    return AccountDto.of(account);
  }

  @Get()
  @ApiOperation({ summary: 'List accounts, by login' })
  @ApiOkResponse({ type: AccountPageDto })
  async list(@Query() q: AccountListQueryDto): Promise<AccountPageDto> {
    const { items, total } = await this.accounts.list(q.offset, q.limit, q.status);
    return { items: items.map(AccountDto.of), total, offset: q.offset, limit: q.limit };
  }

  @Get(':id')
  @ApiOkResponse({ type: AccountDto })
  async get(@Param('id', uuid) id: string): Promise<AccountDto> {
    return AccountDto.of(await this.accounts.get(id));
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend: the account and its sublogins authenticate nowhere, at once' })
  @ApiOkResponse({ type: AccountDto })
  suspend(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<AccountDto> {
    return this.setStatus(id, 'suspended', operator, req);
  }

  @Post(':id/unsuspend')
  @HttpCode(200)
  @ApiOkResponse({ type: AccountDto })
  unsuspend(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<AccountDto> {
    return this.setStatus(id, 'active', operator, req);
  }

  @Get(':id/quota')
  @ApiOperation({ summary: "The account's storage quota (main and backup together) and its use" })
  @ApiOkResponse({ type: AccountQuotaDto })
  async quota(@Param('id', uuid) id: string): Promise<AccountQuotaDto> {
    await this.accounts.get(id);
    return AccountQuotaDto.of(id, await this.quotas.status(id), this.quotas.defaultQuotaBytes);
  }

  @Put(':id/quota')
  @ApiOperation({
    summary: "Set the account's own storage quota (bytes, or null for unlimited)",
    description: 'Applies at once on every instance: uploads and copies beyond it are refused with 507 `quota_exceeded`. Lowering it below what is stored deletes nothing; only writes that free space pass until the account is under it again.',
  })
  @ApiOkResponse({ type: AccountQuotaDto })
  async setQuota(@Param('id', uuid) id: string, @Body() body: SetQuotaDto, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<AccountQuotaDto> {
    const account = await this.accounts.get(id);
    await this.quotas.setSetting(id, settingOfBody(body));
    this.audit.record({ type: 'admin.account.quota', outcome: 'info', login: account.login, accountId: id, actor: operator.account.login, detail: body.bytes === null ? { setting: 'unlimited' } : { setting: 'bytes', bytes: body.bytes }, origin: requestMeta(req) });
    return AccountQuotaDto.of(id, await this.quotas.status(id), this.quotas.defaultQuotaBytes);
  }

  @Delete(':id/quota')
  @ApiOperation({ summary: "Remove the account's own quota: STORAGE_QUOTA_BYTES applies again" })
  @ApiOkResponse({ type: AccountQuotaDto })
  async resetQuota(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<AccountQuotaDto> {
    const account = await this.accounts.get(id);
    await this.quotas.setSetting(id, { kind: 'default' });
    this.audit.record({ type: 'admin.account.quota', outcome: 'info', login: account.login, accountId: id, actor: operator.account.login, detail: { setting: 'default' }, origin: requestMeta(req) });
    return AccountQuotaDto.of(id, await this.quotas.status(id), this.quotas.defaultQuotaBytes);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Param('id', uuid) id: string, @CurrentPrincipal() operator: Principal, @Req() req: FastifyRequest): Promise<void> {
    const account = await this.accounts.delete(id);
    this.audit.record({ type: 'admin.account.delete', outcome: 'info', login: account.login, accountId: account.id, actor: operator.account.login, origin: requestMeta(req) });
  }

  private async setStatus(id: string, status: AccountStatus, operator: Principal, req: FastifyRequest): Promise<AccountDto> {
    const account = await this.accounts.setStatus(id, status);
    this.audit.record({ type: `admin.account.${status === 'active' ? 'unsuspend' : 'suspend'}`, outcome: 'info', login: account.login, accountId: account.id, actor: operator.account.login, origin: requestMeta(req) });
    return AccountDto.of(account);
  }
}
