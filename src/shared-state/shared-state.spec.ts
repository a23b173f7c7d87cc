import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySharedState } from './memory-shared-state.js';
import { RedisSharedState } from './redis-shared-state.js';
import type { SharedState } from './shared-state.js';

/**
 * One contract, both adapters. The Redis run needs PORTCULLIS_TEST_REDIS (set by .ci/run);
 * without it the Redis adapter is covered there and not on a machine with no Redis.
 */
const adapters: Array<[string, () => Promise<SharedState>]> = [['memory', async () => new MemorySharedState()]];
const redisUrl = process.env.PORTCULLIS_TEST_REDIS;
if (redisUrl) {
  adapters.push([
    'redis',
    async () => {
      const r = new RedisSharedState(redisUrl, `portcullis-test-${randomUUID()}:`);
      await r.connect();
      return r;
    },
  ]);
}

describe.each(adapters)('SharedState (%s)', (_name, make) => {
  let state: SharedState;
  beforeAll(async () => {
    state = await make();
  });
  afterAll(async () => {
    await state.close();
  });

  it('setIfAbsent lets exactly one of many concurrent callers win', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => state.setIfAbsent('once', 5_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('setIfAbsent frees the key after its TTL', async () => {
    expect(await state.setIfAbsent('short', 50)).toBe(true);
    expect(await state.setIfAbsent('short', 50)).toBe(false);
    await new Promise((r) => setTimeout(r, 120));
    expect(await state.setIfAbsent('short', 50)).toBe(true);
  });

  it('counts concurrently and expires the window from the first increment', async () => {
    const values = await Promise.all(Array.from({ length: 50 }, () => state.incr('count', 150)));
    expect(new Set(values).size).toBe(50);
    expect(await state.getCount('count')).toBe(50);
    await new Promise((r) => setTimeout(r, 250));
    expect(await state.getCount('count')).toBe(0);
    await state.incr('count', 1_000);
    await state.delete('count');
    expect(await state.getCount('count')).toBe(0);
  });

  it('delivers published messages to subscribers', async () => {
    const got: string[] = [];
    await state.subscribe('chan', (m) => got.push(m));
    await state.publish('chan', 'hello');
    await state.publish('other', 'nope');
    await expect.poll(() => got, { timeout: 1_000 }).toEqual(['hello']);
    expect(await state.ping()).toBe(true);
  });
});
