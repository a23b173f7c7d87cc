import { randomBytes } from 'node:crypto';
import { startApp, type TestApp } from '../support/test-app.js';
import { createTestEnv, type TestEnv } from '../support/test-env.js';

/**
 * Several instances of the service sharing one fresh PostgreSQL database and one Redis key
 * prefix, as behind a load balancer (contract §9). Fails loudly when the servers are not configured.
 */
export async function startCluster(size: number, extraEnv: Record<string, string> = {}): Promise<{ nodes: TestApp[]; env: TestEnv; stop(): Promise<void> }> {
  if (!process.env.PORTCULLIS_TEST_POSTGRES || !process.env.PORTCULLIS_TEST_REDIS) {
    throw new Error('cluster tests need PORTCULLIS_TEST_POSTGRES and PORTCULLIS_TEST_REDIS (see .ci/run)');
  }
  const env = await createTestEnv({ SECRET_KEY: randomBytes(32).toString('base64'), ...extraEnv });
  const nodes: TestApp[] = [];
  // One after the other: the first applies the migrations.
  for (let i = 0; i < size; i++) nodes.push(await startApp(env.env));
  return {
    nodes,
    env,
    async stop() {
      for (const n of nodes) await n.close();
      await env.dispose();
    },
  };
}
