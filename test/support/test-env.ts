import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Where a test run keeps its state. With PORTCULLIS_TEST_POSTGRES / PORTCULLIS_TEST_REDIS set
 * (as .ci/run does) each environment gets its own freshly created database and Redis key
 * prefix, dropped afterwards, so parallel runs never see each other's rows. Without them:
 * a SQLite file and in-process state in a temporary folder.
 */
export interface TestEnv {
  dir: string;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export const ADMIN_PASSWORD = 'operator-password-123';

export async function createTestEnv(extra: Record<string, string> = {}): Promise<TestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-test-'));
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dir,
    STORAGE_DIR: join(dir, 'storage'),
    SECRET_KEY: randomBytes(32).toString('base64'),
    BOOTSTRAP_ADMIN_LOGIN: 'admin',
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOG_LEVEL: process.env.PORTCULLIS_TEST_LOG_LEVEL ?? 'silent',
  };
  const cleanups: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];

  const pgBase = process.env.PORTCULLIS_TEST_POSTGRES;
  if (pgBase) {
    const name = `portcullis_test_${randomUUID().replaceAll('-', '')}`;
    await adminQuery(pgBase, `CREATE DATABASE ${name}`);
    const url = new URL(pgBase);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    cleanups.unshift(() => adminQuery(pgBase, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  } else {
    env.DATABASE_URL = `sqlite:${join(dir, 'portcullis.sqlite')}`;
  }
  const redis = process.env.PORTCULLIS_TEST_REDIS;
  if (redis) {
    env.REDIS_URL = redis;
    env.REDIS_KEY_PREFIX = `portcullis-test-${randomUUID()}:`;
  }
  Object.assign(env, extra);
  return {
    dir,
    env,
    async dispose() {
      for (const c of cleanups) await c();
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
