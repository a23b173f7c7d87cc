import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccountsService } from '../../src/accounts/accounts.service.js';
import { ensureBootstrapAdmin } from '../../src/accounts/bootstrap-admin.js';
import { createApp, type CreateAppOptions } from '../../src/app.factory.js';
import { type AppConfig, loadConfig } from '../../src/config/config.js';
import { ADMIN_PASSWORD, createTestEnv, type TestEnv } from './test-env.js';
import { HttpClient } from './http-client.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  url: string;
  client(): HttpClient;
  /** A client signed in as the bootstrap operator. */
  admin(): Promise<HttpClient>;
  close(): Promise<void>;
}

/** Boots the real service on a loopback port, as main.ts does. */
export async function startApp(env: Record<string, string>, options: CreateAppOptions = {}): Promise<TestApp> {
  const config = loadConfig(env);
  const app = await createApp(config, options);
  await ensureBootstrapAdmin(app.get(AccountsService), config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `${config.tlsCertFile ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  return {
    app,
    config,
    url,
    client: () => new HttpClient(url),
    admin: async () => {
      const c = new HttpClient(url);
      await c.login('admin', ADMIN_PASSWORD);
      return c;
    },
    close: () => app.close(),
  };
}

/** One app on its own fresh state; `stop()` closes it and drops the state. */
export async function startTestApp(extraEnv: Record<string, string> = {}, options: CreateAppOptions = {}): Promise<TestApp & { env: TestEnv; stop(): Promise<void> }> {
  const env = await createTestEnv(extraEnv);
  const app = await startApp(env.env, options);
  return {
    ...app,
    env,
    async stop() {
      await app.close();
      await env.dispose();
    },
  };
}
