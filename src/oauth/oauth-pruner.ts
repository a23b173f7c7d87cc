import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { OAuthArtifactStore } from './oauth-artifact.store.js';

const INTERVAL_MS = 10 * 60_000;

/**
 * Deletes expired OAuth artifacts every ten minutes (and once shortly after start), so the table
 * holds what is live plus at most ten minutes of the expired. Idempotent: several instances may
 * run it at once. Nothing depends on it for correctness: expired rows are never answered.
 */
@Injectable()
export class OAuthPruner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OAuthPruner.name);
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;

  constructor(private readonly store: OAuthArtifactStore) {}

  onApplicationBootstrap(): void {
    this.first = setTimeout(() => void this.prune(), 5_000).unref();
    this.timer = setInterval(() => void this.prune(), INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearTimeout(this.first);
    clearInterval(this.timer);
  }

  async prune(): Promise<number> {
    try {
      const n = await this.store.prune();
      if (n) this.logger.log({ deleted: n }, 'pruned expired OAuth artifacts');
      return n;
    } catch (err) {
      this.logger.warn({ err }, 'could not prune expired OAuth artifacts');
      return 0;
    }
  }
}
