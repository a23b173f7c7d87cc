import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { MemorySharedState } from './memory-shared-state.js';
import { RedisSharedState } from './redis-shared-state.js';
import { CredentialEvents } from './credential-events.js';
import { SharedState } from './shared-state.js';

export async function createSharedState(config: AppConfig): Promise<SharedState> {
  if (!config.redisUrl) return new MemorySharedState();
  const redis = new RedisSharedState(config.redisUrl, config.redisKeyPrefix);
  await redis.connect();
  return redis;
}

// Global as infrastructure near the bottom (it imports only configuration): it turns no dependency around.
@Global()
@Module({
  providers: [{ provide: SharedState, inject: [APP_CONFIG], useFactory: createSharedState }, CredentialEvents],
  exports: [SharedState, CredentialEvents],
})
export class SharedStateModule implements OnApplicationShutdown {
  constructor(@Inject(SharedState) private readonly state: SharedState) {}

  async onApplicationShutdown(): Promise<void> {
    await this.state.close();
  }
}
