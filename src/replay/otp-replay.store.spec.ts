import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../test/support/test-env.js';
import { type AppConfig, loadConfig } from '../config/config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { SCHEMA } from '../schema.js';
import { createSharedState } from '../shared-state/shared-state.module.js';
import type { SharedState } from '../shared-state/shared-state.js';
import { OtpReplayStore } from './otp-replay.store.js';
import { OtpUsed } from './otp-used.entity.js';

/**
 * "Accepted at most once" at the replay store, against the real database of the run: SQLite, or
 * PostgreSQL when PORTCULLIS_TEST_POSTGRES is set (each run its own database). Without Redis the
 * group commit alone decides: claims that arrive together go into one multi-row insert, and
 * `ON CONFLICT DO NOTHING` (with RETURNING on PostgreSQL) must still name one winner per token,
 * also when the same token is claimed many times within one batch. With Redis (when
 * PORTCULLIS_TEST_REDIS is set) the same properties hold with SET NX in front.
 */
const modes: Array<[string, boolean]> = [['the database alone (no Redis)', false]];
if (process.env.PORTCULLIS_TEST_REDIS) modes.push(['Redis, then the database', true]);

describe.each(modes)('OtpReplayStore: %s', (_label, withRedis) => {
  let env: TestEnv;
  let config: AppConfig;
  let ds: DataSource;
  const states: SharedState[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    const vars = { ...env.env };
    if (!withRedis) delete vars.REDIS_URL;
    config = loadConfig(vars);
    expect(config.redisUrl === undefined).toBe(!withRedis);
    ds = await new DataSource(dataSourceOptions(config.databaseUrl, SCHEMA)).initialize();
    await ds.runMigrations({ transaction: 'each' });
  });
  afterAll(async () => {
    for (const s of states) await s.close();
    await ds?.destroy();
    await env?.dispose();
  });

  /** A store as an instance of the service has one: its own batches, the shared database (and Redis). */
  async function newStore(dataSource = ds): Promise<OtpReplayStore> {
    const state = await createSharedState(config);
    states.push(state);
    return new OtpReplayStore(config, state, dataSource.getRepository(OtpUsed));
  }

  let serial = 0;
  const token = () => createHash('sha256').update(`token-${process.pid}-${Date.now()}-${serial++}`).digest('hex');
  const validUntil = () => new Date(Date.now() + 120_000);
  const wins = (results: boolean[]) => results.filter(Boolean).length;

  it('lets one of 200 claims of one token, made in the same turn of the event loop (one batch), win', async () => {
    const store = await newStore();
    const hash = token();
    const until = validUntil();
    // No await between the calls: without Redis they all reach the pending batch before it is written.
    const results = await Promise.all(Array.from({ length: 200 }, () => store.claim(hash, until)));
    expect(wins(results)).toBe(1);
    // Later claims of it lose too, and the database holds it once.
    expect(await store.claim(hash, until)).toBe(false);
    expect(await ds.getRepository(OtpUsed).countBy({ tokenHash: hash })).toBe(1);
  });

  it('names exactly one winner per token when many tokens, each claimed several times, share one batch', async () => {
    const store = await newStore();
    const hashes = Array.from({ length: 50 }, token);
    const until = validUntil();
    const claims = [];
    // Interleaved: token 0, 1, …, 49, then 0, 1, … again, four rounds.
    for (let round = 0; round < 4; round++) for (const h of hashes) claims.push(store.claim(h, until).then((won) => [h, won] as const));
    const results = await Promise.all(claims);
    const winsPerToken = new Map<string, number>();
    for (const [h, won] of results) winsPerToken.set(h, (winsPerToken.get(h) ?? 0) + (won ? 1 : 0));
    expect([...winsPerToken.values()]).toEqual(Array(50).fill(1));
  });

  it('puts claims that arrive while a batch is being written into the next one, still one winner per token', async () => {
    const store = await newStore();
    const [first, second] = [token(), token()];
    const until = validUntil();
    const firstBatch = store.claim(first, until);
    // The batch is written on the next turn of the event loop; these arrive after it started.
    await new Promise((resolve) => setImmediate(resolve));
    const later = await Promise.all([
      ...Array.from({ length: 100 }, () => store.claim(first, until).then((won) => ['first', won] as const)),
      ...Array.from({ length: 100 }, () => store.claim(second, until).then((won) => ['second', won] as const)),
    ]);
    expect(await firstBatch).toBe(true);
    expect(later.filter(([t, won]) => t === 'first' && won)).toHaveLength(0);
    expect(later.filter(([t, won]) => t === 'second' && won)).toHaveLength(1);
  });

  it('lets one claim win across two instances sharing the database, each batching its own claims', async () => {
    const other = await new DataSource(dataSourceOptions(config.databaseUrl, SCHEMA)).initialize();
    try {
      const [a, b] = [await newStore(), await newStore(other)];
      const hash = token();
      const until = validUntil();
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).claim(hash, until)));
      expect(wins(results)).toBe(1);
    } finally {
      await other.destroy();
    }
  });
});
