import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { AppConfig } from './config.js';
import { APP_CONFIG } from './app-config.token.js';

/**
 * Makes the already validated AppConfig injectable everywhere (`@Inject(APP_CONFIG)`). Global as
 * infrastructure at the very bottom: it imports nothing, so it turns no dependency around.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
