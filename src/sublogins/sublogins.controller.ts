import { Body, Controller, Get, HttpCode, Post, Put, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { aclSpecificOf } from '../acl/acl-specific.js';
import { Acl, AclResource } from '../acl/acl.decorators.js';
import { AclService } from '../acl/acl.service.js';
import { ApiKeyPolicy } from '../api-keys/api-key-policy.decorator.js';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { requestMeta } from '../auth/request-meta.js';
import { PagingQueryDto } from '../common/paging.dto.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { RecentSecondFactor } from '../two-factor/two-factor.decorators.js';
import {
  AclCheckDto,
  CheckQueryDto,
  CreatedSubloginDto,
  CreateSubloginDto,
  ReplaceRulesDto,
  RuleSetDto,
  ruleDtos,
  SubloginDto,
  SubloginNameDto,
  SubloginPageDto,
  UpdatedSubloginDto,
  UpdateSubloginDto,
} from './dto/sublogin.dto.js';
import { SubloginsService } from './sublogins.service.js';

const SUBLOGIN_ACCESS =
  'A full login manages every sublogin of its account. A sublogin gets `403 acl_denied` unless its own rules allow `/sublogin/<action>/<name>` ' +
  '(a Bearer token needs the `sublogin` scope). Such a limited principal grants only rights it holds and reads, changes or deletes only sublogins ' +
  'whose rules are within its rights (else `403 sublogin_escalation`, naming the path in `details.path`; a token\'s rights are its scopes ∩ its user\'s rules), ' +
  'and never changes or deletes itself (`403 sublogin_self`). A principal whose own credentials expire or are limited to address ranges (contract §4.7) ' +
  'gives an expiry no later than its own and ranges within its own, and changes only sublogins so limited (else `403 sublogin_escalation` with `details.limit`). ' +
  'A refusal changes nothing.';

// The sublogin a request names, as the specific part of its ACL path (`/sublogin/update/<name>`),
// so a customer may let a sublogin manage some sublogins and not others.
const bodyName = (req: FastifyRequest) => aclSpecificOf((req.body as { name?: unknown } | undefined)?.name);
const queryName = (req: FastifyRequest) => aclSpecificOf((req.query as { name?: unknown } | undefined)?.name);

/**
 * A customer's sublogins and their ACL rules (contract §7). Meant for full logins; a sublogin gets
 * `acl_denied` unless its own rules allow `/sublogin/...`, and even then manages only sublogins
 * within its own rights, grants only those, and never changes itself (SubloginsService.target).
 */
@ApiTags('sublogins')
@Auth('basic', 'bearer', 'otp', 'session')
@ApiKeyPolicy('required')
@AclResource('sublogin')
@Controller('api/sublogin')
@ApiBadRequestResponse({ description: 'Invalid input (`validation_failed`, `acl_rule_invalid`, `path_invalid`)', type: ErrorResponseDto })
export class SubloginsController {
  constructor(
    private readonly sublogins: SubloginsService,
    private readonly acl: AclService,
  ) {}

  @Get('list')
  @Acl('sublogin', 'list')
  @ApiOperation({ summary: 'List your sublogins, by name' })
  @ApiOkResponse({ type: SubloginPageDto })
  async list(@Query() q: PagingQueryDto, @CurrentPrincipal() principal: Principal): Promise<SubloginPageDto> {
    const { items, total } = await this.sublogins.list(principal.account.id, q.offset, q.limit);
    return { items: items.map(({ sublogin, ruleCount }) => ({ ...SubloginDto.of(sublogin), ruleCount })), total, offset: q.offset, limit: q.limit };
  }

  @Post('create')
  @RecentSecondFactor()
  @Acl('sublogin', 'create', { specific: bodyName })
  @ApiOperation({ summary: 'Create a sublogin (login `<you>-<name>`), with a generated password unless you send one', description: SUBLOGIN_ACCESS })
  @ApiCreatedResponse({ type: CreatedSubloginDto })
  @ApiConflictResponse({ description: 'The name exists (`login_taken`)', type: ErrorResponseDto })
  async create(@Body() body: CreateSubloginDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<CreatedSubloginDto> {
    const { sublogin, rules, generatedPassword } = await this.sublogins.create({ principal, origin: requestMeta(req) }, body);
    return { ...SubloginDto.of(sublogin), ...(generatedPassword ? { password: generatedPassword } : {}), rules: ruleDtos(rules) };
  }

  @Post('update')
  @HttpCode(200)
  @Acl('sublogin', 'update', { specific: bodyName })
  @ApiOperation({ summary: 'Enable or disable a sublogin, or change its password; it must sign in again at once', description: SUBLOGIN_ACCESS })
  @ApiOkResponse({ type: UpdatedSubloginDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async update(@Body() body: UpdateSubloginDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<UpdatedSubloginDto> {
    const { name, ...change } = body;
    const { sublogin, generatedPassword } = await this.sublogins.update({ principal, origin: requestMeta(req) }, name, change);
    return { ...SubloginDto.of(sublogin), ...(generatedPassword ? { password: generatedPassword } : {}) };
  }

  @Post('delete')
  @HttpCode(204)
  @Acl('sublogin', 'delete', { specific: bodyName })
  @ApiOperation({ summary: 'Delete a sublogin and its rules', description: SUBLOGIN_ACCESS })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async remove(@Body() body: SubloginNameDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<void> {
    await this.sublogins.delete({ principal, origin: requestMeta(req) }, body.name);
  }

  @Get('rules')
  @Acl('sublogin', 'rules', { specific: queryName })
  @ApiOperation({ summary: "A sublogin's ACL rules", description: SUBLOGIN_ACCESS })
  @ApiOkResponse({ type: RuleSetDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async rules(@Query() q: SubloginNameDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<RuleSetDto> {
    return { name: q.name, rules: ruleDtos(await this.sublogins.getRules({ principal, origin: requestMeta(req) }, q.name)) };
  }

  @Put('rules')
  @RecentSecondFactor()
  @Acl('sublogin', 'replace-rules', { specific: bodyName })
  @ApiOperation({ summary: "Replace a sublogin's ACL rules with a new set; effective at once on every instance", description: SUBLOGIN_ACCESS })
  @ApiOkResponse({ type: RuleSetDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async replaceRules(@Body() body: ReplaceRulesDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<RuleSetDto> {
    return { name: body.name, rules: ruleDtos(await this.sublogins.replaceRules({ principal, origin: requestMeta(req) }, body.name, body.rules)) };
  }

  @Get('check')
  @Acl('sublogin', 'check', { specific: queryName })
  @ApiOperation({ summary: 'Would the sublogin be allowed this path? Answers the canonical path and the rule that decided', description: SUBLOGIN_ACCESS })
  @ApiOkResponse({ type: AclCheckDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async check(@Query() q: CheckQueryDto, @CurrentPrincipal() principal: Principal, @Req() req: FastifyRequest): Promise<AclCheckDto> {
    // It reads the target's rules one path at a time: allowed on the sublogins whose rules could be read.
    await this.sublogins.target({ principal, origin: requestMeta(req) }, q.name, 'check');
    const { allowed, path, rule } = await this.acl.explain(principal.account.id, q.name, q.path);
    return { allowed, path, rule: rule ? { path: rule.path, effect: rule.effect } : null };
  }
}
