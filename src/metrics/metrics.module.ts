import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { StatsModule } from '../stats/stats.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/** `/metrics` (Prometheus). MetricsService.install is called by app.factory.ts, like the accounting hook. */
@Module({
  imports: [AuthModule, StatsModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
