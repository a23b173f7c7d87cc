import { Module } from '@nestjs/common';
import { WhoamiController } from './whoami.controller.js';

/**
 * `GET /api/whoami`. A module of its own so that AppModule can import it where the controller
 * always stood (just after AuthModule): the OpenAPI document lists paths in module order.
 */
@Module({ controllers: [WhoamiController] })
export class WhoamiModule {}
