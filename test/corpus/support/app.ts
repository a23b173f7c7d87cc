import { AccountsService } from '../../../src/accounts/accounts.service.js';
import { ensureBootstrapAdmin } from '../../../src/accounts/bootstrap-admin.js';
import { createApp, type CreateAppOptions } from '../../../src/app.factory.js';
import { loadConfig } from '../../../src/config/config.js';
import { HttpClient } from '../../support/http-client.js';
import type { TestApp } from '../../support/test-app.js';
import { ADMIN_PASSWORD, createTestEnv, type TestEnv } from '../../support/test-env.js';

/**
 * startTestApp (test/support/test-app.ts) with createApp's options: the corpus runs the service
 * with a short idle timeout, so that a stalled client is seen to be cut off within the test.
 */
export async function startCorpusApp(extraEnv: Record<string, string>, options: CreateAppOptions): Promise<TestApp & { env: TestEnv; stop(): Promise<void> }> {
  const env = await createTestEnv(extraEnv);
  const config = loadConfig(env.env);
  const app = await createApp(config, options);
  await ensureBootstrapAdmin(app.get(AccountsService), config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    config,
    url,
    env,
    client: () => new HttpClient(url),
    admin: async () => {
      const c = new HttpClient(url);
      await c.login('admin', ADMIN_PASSWORD);
      return c;
    },
    close: () => app.close(),
    async stop() {
      await app.close();
      await env.dispose();
    },
  };
}
