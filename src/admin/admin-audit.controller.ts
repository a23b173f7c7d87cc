import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService } from '../audit/audit.service.js';
import { AdminAuth } from '../auth/auth.decorators.js';
import { AuditEventDto, AuditQueryDto } from './dto/audit.dto.js';

@ApiTags('admin')
@AdminAuth()
@Controller('api/admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Audit log, newest first; filter by login, type and time' })
  @ApiOkResponse({ type: [AuditEventDto] })
  async list(@Query() q: AuditQueryDto): Promise<AuditEventDto[]> {
    const events = await this.audit.query({
      login: q.login,
      type: q.type,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      beforeId: q.beforeId,
      limit: q.limit,
    });
    return events.map(AuditEventDto.of);
  }
}
