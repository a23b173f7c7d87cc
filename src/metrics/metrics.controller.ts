import { Controller, Get, Res } from '@nestjs/common';
import { ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminAuthOrFrom } from '../auth/auth.decorators.js';
import { ErrorResponseDto } from '../errors/error-response.dto.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  // A scraper has no credentials: its address lets it in; anyone else needs an operator's session.
  @AdminAuthOrFrom('METRICS_ALLOW')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description: 'Served to client addresses in `METRICS_ALLOW` (default: loopback) and to operators signed in with a session; everyone else gets `403`.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiForbiddenResponse({ description: 'Not an allowed address and no operator session (`forbidden`, `admin_required`)', type: ErrorResponseDto })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.type(this.metrics.contentType).header('cache-control', 'no-store');
    return this.metrics.render();
  }
}
