import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouteTable } from '../../src/access/route-table.js';
import { buildOpenApiDocument } from '../../src/openapi/openapi.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

/**
 * The committed contract. A diff in either file is a change to review, not a snapshot to refresh
 * without thinking: the route table is who may call what; openapi.json is what clients see.
 * Regenerate with `npm run contract:update` and read the diff.
 */
describe('contract', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('every route declares its access, as in the committed table', async () => {
    const table = t.app
      .get(RouteTable)
      .routes()
      .map((r) => `${r.method.padEnd(6)} ${r.path.padEnd(44)} ${r.access}`)
      .join('\n');
    await expect(table + '\n').toMatchFileSnapshot('../../docs/route-inventory.txt');
  });

  it('openapi.json is the document the code generates', async () => {
    await expect(JSON.stringify(buildOpenApiDocument(t.app), null, 2) + '\n').toMatchFileSnapshot('../../openapi.json');
  });
});
