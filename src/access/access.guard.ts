import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.js';
import { AccessPipeline } from './access-pipeline.js';
import { RouteTable } from './route-table.js';

/**
 * The one global guard (deny by default): looks the handler up in the route table and runs the
 * access pipeline. Guards a route adds itself (`@UseGuards`) run after it.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly routes: RouteTable,
    private readonly pipeline: AccessPipeline,
  ) {}

  /** A boolean at once when the pipeline decided without waiting (Nest then awaits nothing). */
  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const route = this.routes.lookup(ctx.getClass(), ctx.getHandler() as never);
    // The start-up check refuses undeclared routes, so this is a handler the table never saw.
    if (!route) throw new DomainError('forbidden', 'route declares no access policy');
    // The HTTP arguments by index: switchToHttp() assigns three new closures onto the context on every call.
    const req = ctx.getArgByIndex<FastifyRequest>(0);
    const running = this.pipeline.run(req, ctx.getArgByIndex<FastifyReply>(1).raw, route);
    return running ? running.then(allowed) : true;
  }
}

const allowed = (): boolean => true;
