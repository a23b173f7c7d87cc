import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/app-config.token.js';
import { resolveSecretKey } from '../config/secret-key.js';
import { PasswordHasher } from './password-hasher.js';
import { KeyRing } from './secrets.js';

// Global as infrastructure near the bottom (it imports only configuration): it turns no dependency around.
@Global()
@Module({
  providers: [
    { provide: PasswordHasher, useFactory: () => new PasswordHasher() },
    {
      provide: KeyRing,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new KeyRing(resolveSecretKey(config.secretKey, config.dataDir)),
    },
  ],
  exports: [PasswordHasher, KeyRing],
})
export class CryptoModule {}
