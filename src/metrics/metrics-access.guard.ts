import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { StrategyRegistry } from '../auth/strategy-registry.js';
import { assertSecureTransport } from '../auth/tls-policy.js';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { DomainError } from '../errors/domain-error.js';
import { AddressAllowList } from './core/address-allow.js';

/**
 * Who may read `/metrics`: a client whose address is in METRICS_ALLOW (default: loopback, where
 * a local Prometheus or node agent scrapes), or an operator's session. The route is `@Public()`
 * for the global AuthGuard, because a scraper has no credentials; this guard then decides.
 *
 * Without TRUST_PROXY, a request that carries forwarding headers came through a proxy we know
 * nothing of, and its peer address is that proxy's, not the client's: a reverse proxy on the
 * same host would make every visitor look like loopback. Such a request is never let in by
 * address, only by an operator's session.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly allow: AddressAllowList;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly strategies: StrategyRegistry,
  ) {
    this.allow = new AddressAllowList(config.metricsAllow);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (this.addressAllowed(req)) return true;
    assertSecureTransport(req, this.config);
    const principal = await this.strategies.run('session', req);
    if (!principal) throw new DomainError('forbidden', 'metrics are served to the addresses in METRICS_ALLOW and to signed-in operators');
    if (principal.account.role !== 'admin') throw new DomainError('admin_required', 'operators only');
    return true;
  }

  private addressAllowed(req: FastifyRequest): boolean {
    if (this.config.trustProxy.length === 0 && (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined)) return false;
    return this.allow.allows(req.ip);
  }
}
