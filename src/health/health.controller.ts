import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import type { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators.js';
import { SharedState } from '../shared-state/shared-state.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sharedState: SharedState,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when configured) answer' })
  @ApiOkResponse({ schema: { example: { status: 'ready', database: true, sharedState: true } } })
  @ApiServiceUnavailableResponse({ schema: { example: { status: 'not_ready', database: false, sharedState: true } } })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; database: boolean; sharedState: boolean }> {
    const [database, sharedState] = await Promise.all([
      this.dataSource.query('SELECT 1').then(() => true, () => false),
      this.sharedState.ping(),
    ]);
    const ok = database && sharedState;
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not_ready', database, sharedState };
  }
}
