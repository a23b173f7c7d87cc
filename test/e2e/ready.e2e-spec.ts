import { mkdir, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { TestEnv } from '../support/test-env.js';

/**
 * /ready is 503 only for what the instance cannot serve without: its database and its storage.
 * (The database lost and Redis stopped under running instances: test/cluster/faults.cluster-spec.ts.)
 */
describe('/ready and the storage', () => {
  let t: TestApp & { env: TestEnv; stop(): Promise<void> };
  const ready = async () => {
    const res = await t.client().get('/ready');
    return { status: res.status, body: res.body };
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is ready with the database and a writable STORAGE_DIR', async () => {
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', database: true, storage: true, sharedState: true } });
  });

  it('is not ready while STORAGE_DIR is gone (a lost volume), and ready again when it is back', async () => {
    await rm(t.config.storageDir, { recursive: true, force: true });
    expect(await ready()).toEqual({ status: 503, body: { status: 'not_ready', database: true, storage: false, sharedState: true } });
    // Liveness is the process: unchanged.
    expect((await t.client().get('/health')).status).toBe(200);
    await mkdir(t.config.storageDir);
    expect((await ready()).status).toBe(200);
  });

  it('is not ready while STORAGE_DIR is not a directory', async () => {
    await rm(t.config.storageDir, { recursive: true, force: true });
    await writeFile(t.config.storageDir, 'not a folder');
    expect(await ready()).toMatchObject({ status: 503, body: { status: 'not_ready', storage: false } });
    await rm(t.config.storageDir);
    await mkdir(t.config.storageDir);
    expect((await ready()).status).toBe(200);
  });
});
