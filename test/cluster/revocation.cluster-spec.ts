import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerificationCache } from '../../src/auth/verification-cache.js';
import { basicHeader, rawRequest } from '../support/raw-request.js';
import { credentialChangeHeard } from './broadcasts.js';
import { startCluster } from './cluster.js';

describe('two instances on PostgreSQL + Redis', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  beforeAll(async () => {
    cluster = await startCluster(2, { THROTTLE_BASE_DELAY_MS: '1', THROTTLE_MAX_DELAY_MS: '2', THROTTLE_FREE_FAILURES: '2', THROTTLE_LOGIN_SUBNET_MAX: '6' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const whoami = (url: string, login: string, password: string, localAddress?: string) =>
    rawRequest(`${url}/api/whoami`, { localAddress, headers: { authorization: basicHeader(login, password) } });

  /** B answers `login:password` from its verification cache (a hit, no argon2id). */
  async function servedFromCacheOnB(login: string, password: string): Promise<void> {
    const cache = cluster.nodes[1]!.app.get(VerificationCache);
    const hits = cache.hits;
    expect((await whoami(cluster.nodes[1]!.url, login, password)).status).toBe(200);
    expect(cache.hits).toBe(hits + 1);
  }

  // Immediate revocation across instances (see broadcasts.ts): B hears A's broadcast, and its very
  // first request after that refuses what it had cached.
  it('a password reissued on A is refused on B by its first request after the broadcast, though B had it cached', async () => {
    const [a, b] = cluster.nodes;
    const admin = await a!.admin();
    expect((await admin.post('/api/admin/accounts', { json: { login: 'roamer', password: 'roamer-login-pw', email: 'r@example.com' } })).status).toBe(201);
    const me = a!.client();
    await me.login('roamer', 'roamer-login-pw');
    const first = (await me.post('/api/me/app-connection/enable')).body.password as string;

    expect((await whoami(b!.url, 'roamer', first)).status).toBe(200); // verified and cached on B
    await servedFromCacheOnB('roamer', first);

    const heard = credentialChangeHeard(b!, 'roamer');
    const second = (await me.post('/api/me/app-connection/reissue')).body.password as string;
    await heard;
    const refused = await whoami(b!.url, 'roamer', first);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_credentials');
    expect((await whoami(b!.url, 'roamer', second)).status).toBe(200);
  });

  it('a suspension on A stops the account on B at its first request after the broadcast', async () => {
    const [a, b] = cluster.nodes;
    const admin = await a!.admin();
    const created = await admin.post('/api/admin/accounts', { json: { login: 'legacy_roamer', password: 'legacy-roamer-pw', email: 'l@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    expect((await whoami(b!.url, 'legacy_roamer', 'legacy-roamer-pw')).status).toBe(200);
    await servedFromCacheOnB('legacy_roamer', 'legacy-roamer-pw');
    const heard = credentialChangeHeard(b!, 'legacy_roamer');
    expect((await admin.post(`/api/admin/accounts/${created.body.id}/suspend`)).status).toBe(200);
    await heard;
    expect((await whoami(b!.url, 'legacy_roamer', 'legacy-roamer-pw')).status).toBe(401);
  });

  it('counts a guesser\'s failures on both instances together', async () => {
    const [a, b] = cluster.nodes;
    const admin = await a!.admin();
    await admin.post('/api/admin/accounts', { json: { login: 'guarded', password: 'guarded-password', email: 'g@example.com', registeredAt: '2020-01-01T00:00:00Z' } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await whoami((i % 2 ? a : b)!.url, 'guarded', `wrong-${i}`, '127.0.0.5')).status);
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    expect((await whoami(a!.url, 'guarded', 'guarded-password', '127.0.0.6')).status).toBe(200);
  });
});
